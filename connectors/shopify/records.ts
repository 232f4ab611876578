/**
 * Shopify's GraphQL answers as the records flows map: Shopify's own REST representation at the same API
 * version (snake_case, money as decimal strings, numeric ids), the shape its webhooks deliver. So a
 * record read by a page, by a bulk operation or from a webhook is the same record, flows written for
 * REST keep working, and ledger ids stay the numeric ids they always were (`ferry trace
 * shopify/orders/1002755` still answers). Fields Shopify removed (`gateway`, `processing_method`) are
 * absent; `payment_terms` tells an order on terms.
 */
import type { JsonObject } from '../../src/connector/types.js';

type Gql = Record<string, unknown>;

/** The nodes of a connection, whether it came as a page (`nodes`), as `edges`, or as bulk lines. */
export function nodes(parent: Gql, field: string, typename: string): Gql[] {
  const value = parent[field] as { nodes?: Gql[]; edges?: { node: Gql }[] } | Gql[] | undefined;
  if (Array.isArray(value)) return value;
  if (value?.nodes) return value.nodes;
  if (value?.edges) return value.edges.map((e) => e.node);
  return ((parent[CHILDREN] as Gql[] | undefined) ?? []).filter((c) => c.__typename === typename);
}

/** Where bulk lines that name an object as their parent are gathered. */
export const CHILDREN = '__children';

const amount = (bag: unknown) => ((bag as { shopMoney?: { amount?: string } } | null)?.shopMoney?.amount ?? null);
export const cents = (value: unknown) => Math.round(Number(value ?? 0) * 100);
/**
 * A REST id from its digits: a number, as REST sends it, while a JavaScript number holds it exactly;
 * past 2^53 (Shopify's ids are 64-bit, its example refund's has 18 digits) the digits themselves, so
 * no two records ever share a rounded id.
 */
export const restId = (digits: string): number | string => (Number.isSafeInteger(Number(digits)) ? Number(digits) : digits);
const numeric = (legacyResourceId: unknown) => (legacyResourceId === null || legacyResourceId === undefined ? null : restId(String(legacyResourceId)));
/** `gid://shopify/LineItem/123` → 123. */
export const idOf = (gid: unknown) => (typeof gid === 'string' ? restId(gid.slice(gid.lastIndexOf('/') + 1).split('?')[0]!) : null);
const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : null);
/** GraphQL's `2026-01-02T03:04:05Z` as Shopify's REST writes time (`2026-01-02T03:04:05-00:00`). */
const restTime = (value: unknown) => (typeof value === 'string' ? value.replace(/Z$/, '-00:00') : null);
const taxLines = (lines: unknown) => ((lines as Gql[] | undefined) ?? []).map((t) => ({ title: t.title, rate: t.rate, price: amount(t.priceSet) }));

function lineItem(line: Gql): JsonObject {
  return {
    id: idOf(line.id),
    admin_graphql_api_id: line.id,
    name: line.name,
    title: line.title ?? line.name,
    sku: line.sku ?? null,
    quantity: line.quantity,
    price: amount(line.originalUnitPriceSet),
    total_discount: amount(line.totalDiscountSet) ?? '0.00',
    product_id: numeric((line.product as Gql | null)?.legacyResourceId),
    taxable: line.taxable ?? null,
    requires_shipping: line.requiresShipping ?? null,
  };
}

function transaction(t: Gql, orderId: number | string | null): JsonObject {
  return {
    id: idOf(t.id),
    admin_graphql_api_id: t.id,
    order_id: orderId,
    kind: lower(t.kind),
    status: lower(t.status),
    gateway: t.gateway ?? null,
    amount: amount(t.amountSet),
    currency: (t.amountSet as { shopMoney: { currencyCode: string } }).shopMoney.currencyCode,
    processed_at: restTime(t.processedAt),
    created_at: restTime(t.createdAt),
  };
}

function refund(r: Gql, orderId: number | string | null): JsonObject {
  return {
    id: numeric(r.legacyResourceId) ?? idOf(r.id),
    admin_graphql_api_id: r.id,
    order_id: orderId,
    created_at: restTime(r.createdAt),
    processed_at: restTime(r.processedAt),
    note: r.note ?? null,
    restock: nodes(r, 'refundLineItems', 'RefundLineItem').some((l) => l.restockType !== 'NO_RESTOCK'),
    // A refund line's subtotal and total_tax are numbers in Shopify's REST refunds.
    refund_line_items: nodes(r, 'refundLineItems', 'RefundLineItem').map((l) => {
      const line = l.lineItem as Gql;
      return {
        id: idOf(l.id),
        line_item_id: idOf(line.id),
        quantity: l.quantity,
        restock_type: lower(l.restockType),
        subtotal: cents(amount(l.subtotalSet)) / 100,
        total_tax: cents(amount(l.totalTaxSet)) / 100,
        line_item: { id: idOf(line.id), name: line.name, sku: line.sku ?? null, product_id: numeric((line.product as Gql | null)?.legacyResourceId) },
      };
    }),
    refund_shipping_lines: nodes(r, 'refundShippingLines', 'RefundShippingLine').map((s) => ({
      id: idOf(s.id),
      title: (s.shippingLine as Gql | null)?.title ?? null,
      subtotal: cents(amount(s.subtotalAmountSet)) / 100,
      total_tax: cents(amount(s.taxAmountSet)) / 100,
    })),
    // What was paid back. (Its transactions would be a sixth connection, one more than a bulk query may hold.)
    total_refunded: amount(r.totalRefundedSet),
  };
}

/** An order as its REST representation (and its orders/create webhook) carries it. */
export function order(o: Gql): JsonObject {
  const id = numeric(o.legacyResourceId);
  const customer = o.customer as Gql | null;
  const terms = o.paymentTerms as Gql | null;
  return {
    id,
    admin_graphql_api_id: o.id,
    name: o.name,
    email: o.email ?? null,
    phone: o.phone ?? null,
    note: o.note ?? null,
    created_at: restTime(o.createdAt),
    updated_at: restTime(o.updatedAt),
    processed_at: restTime(o.processedAt),
    cancelled_at: restTime(o.cancelledAt),
    closed_at: restTime(o.closedAt),
    currency: o.currencyCode,
    financial_status: lower(o.displayFinancialStatus),
    fulfillment_status: ({ FULFILLED: 'fulfilled', PARTIALLY_FULFILLED: 'partial' } as Record<string, string>)[String(o.displayFulfillmentStatus)] ?? null,
    payment_gateway_names: o.paymentGatewayNames,
    tags: ((o.tags as string[] | undefined) ?? []).join(', '),
    test: o.test,
    customer: customer ? { id: numeric(customer.legacyResourceId), email: customer.email ?? null, first_name: customer.firstName ?? null, last_name: customer.lastName ?? null } : null,
    total_price: amount(o.totalPriceSet),
    subtotal_price: amount(o.subtotalPriceSet),
    total_tax: amount(o.totalTaxSet) ?? '0.00',
    total_discounts: amount(o.totalDiscountsSet) ?? '0.00',
    total_outstanding: amount(o.totalOutstandingSet),
    payment_terms: terms ? { id: idOf(terms.id), payment_terms_name: terms.paymentTermsName, payment_terms_type: terms.paymentTermsType, due_in_days: terms.dueInDays ?? null } : null,
    tax_lines: taxLines(o.taxLines),
    line_items: nodes(o, 'lineItems', 'LineItem').map(lineItem),
    shipping_lines: nodes(o, 'shippingLines', 'ShippingLine').map((s) => ({ title: s.title, code: s.code ?? null, price: amount(s.originalPriceSet) })),
    refunds: ((o.refunds as Gql[] | undefined) ?? []).map((r) => refund(r, id)),
  };
}

/** The order's transactions (they are not part of the REST order). */
export const orderTransactions = (o: Gql): JsonObject[] => ((o.transactions as Gql[] | undefined) ?? []).map((t) => transaction(t, numeric(o.legacyResourceId)));

export function customer(c: Gql): JsonObject {
  return {
    id: numeric(c.legacyResourceId),
    admin_graphql_api_id: c.id,
    email: c.email ?? null,
    first_name: c.firstName ?? null,
    last_name: c.lastName ?? null,
    phone: c.phone ?? null,
    note: c.note ?? null,
    tags: ((c.tags as string[] | undefined) ?? []).join(', '),
    state: lower(c.state),
    tax_exempt: c.taxExempt,
    verified_email: c.verifiedEmail,
    orders_count: Number(c.numberOfOrders ?? 0),
    total_spent: (c.amountSpent as { amount?: string } | null)?.amount ?? '0.00',
    created_at: restTime(c.createdAt),
    updated_at: restTime(c.updatedAt),
  };
}

export function product(p: Gql): JsonObject {
  const id = numeric(p.legacyResourceId);
  return {
    id,
    admin_graphql_api_id: p.id,
    title: p.title,
    handle: p.handle,
    vendor: p.vendor,
    product_type: p.productType,
    status: lower(p.status),
    tags: ((p.tags as string[] | undefined) ?? []).join(', '),
    body_html: p.descriptionHtml ?? '',
    created_at: restTime(p.createdAt),
    updated_at: restTime(p.updatedAt),
    variants: nodes(p, 'variants', 'ProductVariant').map((v) => ({
      id: numeric(v.legacyResourceId),
      admin_graphql_api_id: v.id,
      product_id: id,
      title: v.title,
      sku: v.sku ?? '',
      price: v.price,
      position: v.position,
      taxable: v.taxable,
      barcode: v.barcode ?? null,
      inventory_quantity: v.inventoryQuantity ?? null,
      inventory_item_id: numeric((v.inventoryItem as Gql | null)?.legacyResourceId),
      created_at: restTime(v.createdAt),
      updated_at: restTime(v.updatedAt),
    })),
  };
}

/**
 * A bulk operation's JSONL as whole objects: each line that names a `__parentId` is gathered under
 * that parent (found anywhere inside an earlier line: a refund inside its order), for `nodes()`.
 */
export function assembleBulk(jsonl: string): Gql[] {
  const roots: Gql[] = [];
  const byId = new Map<string, Gql>();
  const index = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(index);
    else if (value && typeof value === 'object') {
      const object = value as Gql;
      if (typeof object.id === 'string') byId.set(object.id, object);
      Object.values(object).forEach(index);
    }
  };
  for (const text of jsonl.split('\n')) {
    if (!text.trim()) continue;
    const line = JSON.parse(text) as Gql;
    const parentId = line.__parentId as string | undefined;
    if (parentId === undefined) roots.push(line);
    else {
      const parent = byId.get(parentId);
      if (!parent) throw new Error(`bulk result line names a parent it has not seen: ${parentId}`);
      ((parent[CHILDREN] as Gql[] | undefined) ?? (parent[CHILDREN] = [])).push(line);
    }
    index(line);
  }
  return roots;
}
