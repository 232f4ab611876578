/**
 * The emulator's store, which holds Shopify's REST representation, seen through the GraphQL Admin
 * schema. One generic rule covers most fields, because Shopify named them alike: `totalPriceSet` is
 * `total_price_set`, enums are the REST strings upper-cased, `id` is the object's
 * `admin_graphql_api_id`, `legacyResourceId` its REST id. The fields that differ are written out per
 * type. graphql-js then checks every answer against the schema: a non-null field the store cannot fill,
 * or an enum value the schema does not have, is an error, not a quiet gap.
 */
import { getNamedType, GraphQLError, type GraphQLFieldResolver, type GraphQLNamedType, type GraphQLResolveInfo, type GraphQLOutputType, isEnumType, isListType, isNonNullType, isObjectType, isScalarType } from 'graphql';
import { gid, moneySet, type ShopifyObject, toCents } from '../objects.js';
import { searchFilter } from './search.js';

export type Table = 'customers' | 'products' | 'inventory_items' | 'locations' | 'orders';
export type Args = Record<string, unknown>;

/** What the GraphQL layer needs of the emulator's store. */
export interface Store {
  all(table: Table): ShopifyObject[];
  get(table: Table, id: number): ShopifyObject | undefined;
  levels: Map<string, ShopifyObject>;
  shop: { name: string; domain: string };
  scopes: string[];
}

/** A REST object seen as a GraphQL type. */
export class View {
  constructor(
    readonly type: string,
    readonly rest: ShopifyObject,
  ) {}
}

export type Field = (rest: ShopifyObject, args: Args, store: Store, info: GraphQLResolveInfo) => unknown;
const MAX_PAGE = 250;

const BUILT = new WeakSet<object>();
/** An object built in GraphQL's own shape (a mutation's payload), read as it is rather than as a REST object. */
export function built<T extends object>(object: T): T {
  BUILT.add(object);
  return object;
}

/** A GraphQL id's type and number (`gid://shopify/Order/123` → Order, 123). */
export function parseGid(id: unknown): { type: string; id: number } | undefined {
  const match = /^gid:\/\/shopify\/(\w+)\/(\d+)/.exec(String(id));
  return match ? { type: match[1]!, id: Number(match[2]) } : undefined;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const tags = (value: unknown) => String(value ?? '').split(',').map((t) => t.trim()).filter(Boolean);
const moneyV2 = (amount: unknown, currency: unknown) => ({ amount: String(amount ?? '0.00'), currency_code: currency ?? 'USD' });
const allVariants = (store: Store) => store.all('products').flatMap((p) => p.variants as ShopifyObject[]);
const findVariant = (store: Store, id: unknown) => allVariants(store).find((v) => v.id === Number(id));
const orderOf = (store: Store, id: unknown) => store.get('orders', Number(id));
const transactionsOf = (order: ShopifyObject) => (order.__transactions as ShopifyObject[] | undefined) ?? [];
/** Inventory levels, with their location's id as their own (the store keys them by item and location). */
const levelsOf = (store: Store, filter: (level: ShopifyObject) => boolean) => [...store.levels.values()].filter(filter).map((l) => ({ ...l, id: l.location_id }));

/** What a search's `field:` reads on a record: the REST field of that name, tags as a list, a product's SKUs. */
function searchField(record: ShopifyObject, field: string): unknown {
  if (field === 'tag') return tags(record.__tags ?? record.tags);
  if (field === 'sku' && Array.isArray(record.variants)) return (record.variants as ShopifyObject[]).map((v) => v.sku);
  return record[field];
}

const TEXT_FIELDS = ['name', 'email', 'first_name', 'last_name', 'title', 'sku'];

/** `orders(first:, after:, query:, sortKey:, reverse:)` and friends: the rows a search keeps, as a page. */
function listOf(type: string, rows: (store: Store) => ShopifyObject[]): Field {
  return (_rest, args, store) => {
    const matches = searchFilter(args.query as string | undefined, (read) => TEXT_FIELDS.map(read));
    return { rows: rows(store).filter((record) => matches((field) => searchField(record, field))), type, args };
  };
}

interface Listing {
  rows: ShopifyObject[];
  type: string;
  args: Args;
}

const SORT_FIELDS: Record<string, string> = { UPDATED_AT: 'updated_at', CREATED_AT: 'created_at', PROCESSED_AT: 'processed_at', ID: 'id', TITLE: 'title', NAME: 'last_name', ORDER_NUMBER: 'order_number' };

function sortValue(record: ShopifyObject, key: string): number | string {
  const field = SORT_FIELDS[key] ?? 'id';
  const value = record[field];
  if (field.endsWith('_at')) return Date.parse(String(value));
  return typeof value === 'number' ? value : String(value ?? '');
}

function compareRows(a: ShopifyObject, b: ShopifyObject, key: string): number {
  const [x, y] = [sortValue(a, key), sortValue(b, key)];
  return (x < y ? -1 : x > y ? 1 : 0) || Number(a.id) - Number(b.id);
}

const encodeCursor = (record: ShopifyObject, key: string) => Buffer.from(JSON.stringify([sortValue(record, key), record.id])).toString('base64url');

function decodeCursor(cursor: unknown): ShopifyObject & { __sort: number | string } {
  try {
    const [sort, id] = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8')) as [number | string, number];
    return { id, __sort: sort };
  } catch {
    throw new GraphQLError(`Invalid cursor for current pagination sort.`, { extensions: { code: 'BAD_REQUEST' } });
  }
}

/**
 * A connection page (https://shopify.dev/docs/api/usage/pagination-graphql): `first` or `last` is
 * required and at most 250; cursors carry the sort value and id of their record, so a page continues
 * after it even when records changed in between.
 */
function connection(listing: Listing, unbounded = false) {
  const { args } = listing;
  // A bulk operation reads every record whatever `first` says.
  const size = unbounded ? Infinity : ((args.first ?? args.last) as number | undefined);
  if (size === undefined || size === null) throw new GraphQLError('you must provide one of first or last', { extensions: { code: 'BAD_REQUEST' } });
  if (!unbounded && (size < 0 || size > MAX_PAGE)) throw new GraphQLError(`The page size (${size}) must be between 0 and ${MAX_PAGE}.`, { extensions: { code: 'BAD_REQUEST' } });
  const key = String(args.sortKey ?? 'ID');
  const direction = (args.reverse ? -1 : 1) * (args.last !== undefined && args.last !== null ? -1 : 1);
  let rows = [...listing.rows].sort((a, b) => direction * compareRows(a, b, key));
  const after = (args.after ?? args.before) as string | undefined;
  if (after) {
    const mark = decodeCursor(after);
    rows = rows.filter((r) => {
      const [x, y] = [sortValue(r, key), mark.__sort];
      return direction * ((x < y ? -1 : x > y ? 1 : 0) || Number(r.id) - Number(mark.id)) > 0;
    });
  }
  const page = rows.slice(0, size);
  if (args.last !== undefined && args.last !== null) page.reverse();
  const nodes = page.map((r) => new View(listing.type, r));
  return {
    edges: page.map((r, i) => ({ cursor: encodeCursor(r, key), node: nodes[i] })),
    nodes,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: Boolean(after),
      startCursor: page[0] ? encodeCursor(page[0], key) : null,
      endCursor: page.at(-1) ? encodeCursor(page.at(-1)!, key) : null,
    },
  };
}

const list = (type: string, rows: (rest: ShopifyObject, store: Store) => ShopifyObject[]): Field => (rest, args, store) => ({ rows: rows(rest, store), type, args });
const one = (table: Table, type: string): Field => (_rest, args, store) => {
  const id = parseGid(args.id);
  const found = id && id.type === type ? store.get(table, id.id) : undefined;
  return found ? new View(type, found) : null;
};

/** Types in the store by the GID type name `node(id:)` and `nodes(ids:)` accept. */
const NODE_TABLES: Record<string, Table> = { Order: 'orders', Customer: 'customers', Product: 'products', InventoryItem: 'inventory_items', Location: 'locations' };

function node(store: Store, id: unknown): View | null {
  const parsed = parseGid(id);
  if (!parsed) return null;
  if (parsed.type === 'ProductVariant') {
    const variant = findVariant(store, parsed.id);
    return variant ? new View('ProductVariant', variant) : null;
  }
  const table = NODE_TABLES[parsed.type];
  const found = table ? store.get(table, parsed.id) : undefined;
  return found ? new View(parsed.type, found) : null;
}

/** The fields whose REST counterpart has another name or shape. */
const FIELDS: Record<string, Record<string, Field>> = {
  QueryRoot: {
    orders: listOf('Order', (store) => store.all('orders')),
    // Counted up to `limit` (10,000 by default; null counts all), as `ordersCount` documents.
    ordersCount: (rest, args, store, info) => {
      const { rows } = listOf('Order', (s) => s.all('orders'))(rest, args, store, info) as Listing;
      const limit = args.limit === undefined ? 10_000 : (args.limit as number | null);
      return built({ count: limit === null ? rows.length : Math.min(rows.length, limit), precision: limit !== null && rows.length > limit ? 'AT_LEAST' : 'EXACT' });
    },
    customers: listOf('Customer', (store) => store.all('customers')),
    products: listOf('Product', (store) => store.all('products')),
    productVariants: listOf('ProductVariant', allVariants),
    locations: listOf('Location', (store) => store.all('locations')),
    inventoryItems: listOf('InventoryItem', (store) => store.all('inventory_items')),
    order: one('orders', 'Order'),
    customer: one('customers', 'Customer'),
    product: one('products', 'Product'),
    inventoryItem: one('inventory_items', 'InventoryItem'),
    location: one('locations', 'Location'),
    productVariant: (_rest, args, store) => node(store, args.id),
    refund: (_rest, args, store) => {
      const id = parseGid(args.id);
      const refund = id?.type === 'Refund' ? store.all('orders').flatMap((o) => o.refunds as ShopifyObject[]).find((r) => r.id === id.id) : undefined;
      return refund ? new View('Refund', refund) : null;
    },
    node: (_rest, args, store) => node(store, args.id),
    nodes: (_rest, args, store) => (args.ids as unknown[]).map((id) => node(store, id)),
    currentAppInstallation: (_rest, _args, store) => built({ id: 'gid://shopify/AppInstallation/1', accessScopes: store.scopes.map((handle) => built({ handle, description: handle })) }),
    shop: (_rest, _args, store) => new View('Shop', { id: 1, admin_graphql_api_id: 'gid://shopify/Shop/1', name: store.shop.name, myshopify_domain: store.shop.domain, currency_code: 'USD', iana_timezone: 'America/Chicago', email: `owner@${store.shop.domain}`, contact_email: `owner@${store.shop.domain}` }),
  },
  Order: {
    lineItems: list('LineItem', (o) => o.line_items as ShopifyObject[]),
    shippingLines: list('ShippingLine', (o) => o.shipping_lines as ShopifyObject[]),
    transactions: (o) => transactionsOf(o),
    transactionsCount: (o) => built({ count: transactionsOf(o).length, precision: 'EXACT' }),
    refunds: (o) => o.refunds,
    fulfillments: (o) => o.fulfillments,
    customer: (o, _args, store) => ((o.customer as ShopifyObject | undefined)?.id ? store.get('customers', Number((o.customer as ShopifyObject).id)) : null),
    currencyCode: (o) => o.currency,
    displayFinancialStatus: (o) => o.financial_status,
    displayFulfillmentStatus: (o) => ({ fulfilled: 'FULFILLED', partial: 'PARTIALLY_FULFILLED' })[String(o.fulfillment_status)] ?? 'UNFULFILLED',
    totalOutstandingSet: (o) => moneySet(toCents(o.total_outstanding), String(o.currency)),
    totalReceivedSet: (o) => moneySet(transactionsOf(o).filter((t) => t.status === 'success' && (t.kind === 'sale' || t.kind === 'capture')).reduce((s, t) => s + toCents(t.amount), 0), String(o.currency)),
    totalRefundedSet: (o) => moneySet(transactionsOf(o).filter((t) => t.status === 'success' && t.kind === 'refund').reduce((s, t) => s + toCents(t.amount), 0), String(o.currency)),
    discountCodes: (o) => (o.discount_codes as ShopifyObject[]).map((d) => d.code),
    tags: (o) => tags(o.tags),
    statusPageUrl: (o) => o.order_status_url,
    confirmed: () => true,
  },
  LineItem: {
    originalUnitPriceSet: (l) => l.price_set,
    discountedUnitPriceSet: (l) => moneySet(toCents(l.price) - Math.round(toCents(l.total_discount) / Number(l.quantity)), currencyOf(l)),
    discountedTotalSet: (l) => moneySet(toCents(l.price) * Number(l.quantity) - toCents(l.total_discount), currencyOf(l)),
    originalTotalSet: (l) => moneySet(toCents(l.price) * Number(l.quantity), currencyOf(l)),
    product: (l, _a, store) => (l.product_id ? store.get('products', Number(l.product_id)) : null),
    variant: (l, _a, store) => (l.variant_id ? findVariant(store, l.variant_id) : null),
    isGiftCard: (l) => l.gift_card,
    refundableQuantity: (l) => l.quantity,
    unfulfilledQuantity: (l) => l.fulfillable_quantity,
  },
  ShippingLine: {
    originalPriceSet: (s) => s.price_set,
    discountedPriceSet: (s) => s.discounted_price_set ?? s.price_set,
    currentDiscountedPriceSet: (s) => s.discounted_price_set ?? s.price_set,
    custom: () => false,
    isRemoved: () => false,
  },
  TaxLine: { ratePercentage: (t) => Number(t.rate) * 100 },
  OrderTransaction: {
    amountSet: (t) => moneySet(toCents(t.amount), String(t.currency)),
    order: (t, _a, store) => orderOf(store, t.order_id),
    parentTransaction: (t, _a, store) => (t.parent_id ? transactionsOf(orderOf(store, t.order_id) ?? {}).find((p) => p.id === t.parent_id) ?? null : null),
    formattedGateway: (t) => String(t.gateway).replace(/_/g, ' '),
    manuallyCapturable: () => false,
    multiCapturable: () => false,
    fees: () => [],
  },
  Refund: {
    refundLineItems: list('RefundLineItem', (r) => r.refund_line_items as ShopifyObject[]),
    orderAdjustments: list('OrderAdjustment', (r) => r.order_adjustments as ShopifyObject[]),
    transactions: list('OrderTransaction', (r) => r.transactions as ShopifyObject[]),
    refundShippingLines: list('RefundShippingLine', (r) => (r.refund_shipping_lines as ShopifyObject[] | undefined) ?? []),
    order: (r, _a, store) => orderOf(store, r.order_id),
    updatedAt: (r) => r.created_at,
    totalRefundedSet: (r, _a, store) => moneySet((r.transactions as ShopifyObject[]).reduce((s, t) => s + toCents(t.amount), 0), String(orderOf(store, r.order_id)?.currency ?? 'USD')),
  },
  RefundLineItem: {
    id: (r) => gid('RefundLineItem', r.id),
    lineItem: (r) => new View('LineItem', r.line_item as ShopifyObject),
    priceSet: (r) => (r.line_item as ShopifyObject).price_set,
    restocked: (r) => r.restock_type !== 'no_restock',
  },
  OrderAdjustment: { reason: (a) => (a.kind === 'shipping_refund' ? null : 'REFUND_DISCREPANCY') },
  PaymentTerms: {
    id: (p) => gid('PaymentTerms', p.id),
    paymentSchedules: list('PaymentSchedule', (p) => p.payment_schedules as ShopifyObject[]),
    translatedName: (p) => p.payment_terms_name,
    due: () => false,
    overdue: (p) => (p.payment_schedules as ShopifyObject[]).some((s) => !s.completed_at && Date.parse(String(s.due_at)) < Date.now()),
  },
  PaymentSchedule: {
    id: (s) => gid('PaymentSchedule', s.id),
    amount: (s) => moneyV2(Number(s.amount).toFixed(2), s.currency),
    balanceDue: (s) => moneyV2(s.completed_at ? '0.00' : Number(s.amount).toFixed(2), s.currency),
    totalBalance: (s) => moneyV2(s.completed_at ? '0.00' : Number(s.amount).toFixed(2), s.currency),
    due: () => false,
  },
  Customer: {
    tags: (c) => tags(c.__tags),
    displayName: (c) => `${String(c.first_name ?? '')} ${String(c.last_name ?? '')}`.trim() || String(c.email ?? c.phone ?? ''),
    numberOfOrders: (c) => c.__orders_count,
    amountSpent: (c) => moneyV2(c.__total_spent, c.currency),
    defaultEmailAddress: (c) => (c.email ? { email_address: c.email, marketing_state: 'NOT_SUBSCRIBED', marketing_unsubscribe_url: 'https://example.invalid/unsubscribe', open_tracking_level: 'UNKNOWN', open_tracking_url: 'https://example.invalid/open', valid_format: true } : null),
    defaultPhoneNumber: (c) => (c.phone ? { phone_number: c.phone, marketing_state: 'NOT_SUBSCRIBED', marketing_opt_in_level: null, marketing_collected_from: null, marketing_updated_at: null } : null),
  },
  Product: {
    variants: list('ProductVariant', (p) => p.variants as ShopifyObject[]),
    descriptionHtml: (p) => p.body_html,
    tags: (p) => tags(p.tags),
    totalInventory: (p) => (p.variants as ShopifyObject[]).reduce((s, v) => s + Number(v.inventory_quantity), 0),
    hasOnlyDefaultVariant: (p) => (p.variants as ShopifyObject[]).length === 1,
  },
  ProductVariant: {
    inventoryItem: (v, _a, store) => store.get('inventory_items', Number(v.inventory_item_id)),
    product: (v, _a, store) => store.get('products', Number(v.product_id)),
    displayName: (v, _a, store) => `${String(store.get('products', Number(v.product_id))?.title)} - ${String(v.title)}`,
    inventoryPolicy: (v) => v.inventory_policy,
  },
  InventoryItem: {
    variant: (i, _a, store) => allVariants(store).find((v) => v.inventory_item_id === i.id),
    inventoryLevels: list('InventoryLevel', (i, store) => levelsOf(store, (l) => l.inventory_item_id === i.id)),
    inventoryLevel: (i, args, store) => levelsOf(store, (l) => l.inventory_item_id === i.id && l.location_id === parseGid(args.locationId)?.id)[0] ?? null,
    duplicateSkuCount: (i, _a, store) => store.all('inventory_items').filter((x) => x.sku === i.sku && x.id !== i.id).length,
  },
  InventoryLevel: {
    id: (l) => `gid://shopify/InventoryLevel/${String(l.location_id)}?inventory_item_id=${String(l.inventory_item_id)}`,
    item: (l, _a, store) => store.get('inventory_items', Number(l.inventory_item_id)),
    location: (l, _a, store) => store.get('locations', Number(l.location_id)),
    quantities: (l, args) => (args.names as string[]).map((name) => ({ admin_graphql_api_id: `gid://shopify/InventoryQuantity/${String(l.inventory_item_id)}?name=${name}`, name, quantity: name === 'available' || name === 'on_hand' ? Number(l.available) : 0, updated_at: l.updated_at })),
    isActive: () => true,
    canDeactivate: () => false,
    createdAt: (l) => l.updated_at,
  },
  Location: { isActive: (l) => l.active, fulfillsOnlineOrders: () => true, shipsInventory: () => true, isPrimary: () => true },
};

const currencyOf = (line: ShopifyObject) => String((line.price_set as { shop_money: { currency_code: string } }).shop_money.currency_code);

/** REST timestamps (`2026-01-02T03:04:05-00:00`) as GraphQL's DateTime (`2026-01-02T03:04:05Z`). */
const dateTime = (value: unknown) => (typeof value === 'string' ? new Date(value).toISOString().replace('.000Z', 'Z') : value);

function generic(view: View, field: string, named: GraphQLNamedType): unknown {
  const rest = view.rest;
  if (field === 'id') return rest.admin_graphql_api_id ?? gid(view.type, rest.id);
  if (field === 'legacyResourceId') return rest.id;
  const key = snake(field);
  if (named.name === 'MoneyBag' && field.endsWith('Set')) {
    if (rest[key] !== undefined) return rest[key];
    const base = rest[key.replace(/_set$/, '')];
    return base === undefined || base === null ? undefined : moneySet(toCents(base), String(rest.currency ?? 'USD'));
  }
  return rest[key];
}

/** A value for a field, made to the schema's type: views for objects, pages for connections, Shopify's scalar formats. */
function shape(value: unknown, type: GraphQLOutputType, args: Args, unbounded: boolean): unknown {
  if (value === undefined || value === null) return null;
  if (isNonNullType(type)) return shape(value, type.ofType, args, unbounded);
  if (isListType(type)) {
    let items = value as unknown[];
    if (typeof args.first === 'number' && !unbounded) items = items.slice(0, args.first);
    return items.map((item) => shape(item, type.ofType, {}, unbounded));
  }
  const named = getNamedType(type);
  if (named.name.endsWith('Connection') && isObjectType(named)) {
    if (typeof value === 'object' && 'edges' in (value as object)) return value;
    return connection(value as Listing, unbounded);
  }
  if (isObjectType(named)) return value instanceof View || BUILT.has(value as object) ? value : new View(named.name, value as ShopifyObject);
  if (isEnumType(named)) return typeof value === 'string' ? value.toUpperCase() : value;
  if (isScalarType(named)) {
    if (named.name === 'DateTime') return dateTime(value);
    if (named.name === 'UnsignedInt64' || named.name === 'Decimal' || named.name === 'Money') return String(value);
  }
  return value;
}

/** The concrete type of a value where the schema returns an interface (`node(id:)` → Node). */
export const typeResolver = (value: unknown): string | undefined => (value instanceof View ? value.type : ((value as { __typename?: string } | null)?.__typename ?? undefined));

/** graphql-js's field resolver for the whole schema; `more` adds types' fields (the mutations). */
export function fieldResolver(store: Store, more: Record<string, Record<string, Field>> = {}, { unbounded = false } = {}): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, _context, info) => {
    // Objects this emulator built in GraphQL's shape (pages, mutation payloads) are read as they are.
    if (!(source instanceof View)) {
      const value = (source as Record<string, unknown> | null)?.[info.fieldName];
      return typeof value === 'object' && value !== null ? value : shape(value, info.returnType, {}, unbounded);
    }
    const own = more[source.type]?.[info.fieldName] ?? FIELDS[source.type]?.[info.fieldName];
    const value = own ? own(source.rest, args, store, info) : generic(source, info.fieldName, getNamedType(info.returnType));
    return shape(value, info.returnType, args, unbounded);
  };
}
