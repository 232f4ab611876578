/**
 * Shopify Admin REST objects in the shapes `shopify-api-node` declares (types/index.d.ts: ICustomer,
 * IOrder, IProduct, IProductVariant, IInventoryItem, IInventoryLevel, ILocation, ITransaction, IRefund,
 * IFulfillment). Money is carried in cents internally and rendered as Shopify's decimal strings.
 */
import { randomUUID } from 'node:crypto';

export type ShopifyObject = Record<string, unknown>;
/** The GraphQL id every REST object also carries (`admin_graphql_api_id`). */
export const gid = (type: string, id: unknown) => `gid://shopify/${type}/${String(id)}`;

export const money = (cents: number) => (cents / 100).toFixed(2);
export const toCents = (amount: unknown) => Math.round(Number(amount ?? 0) * 100);
export const moneySet = (cents: number, currency: string) => ({
  shop_money: { amount: money(cents), currency_code: currency },
  presentment_money: { amount: money(cents), currency_code: currency },
});

export function address(customerId: number, id: number, input: ShopifyObject, first: string, last: string): ShopifyObject {
  return {
    id,
    customer_id: customerId,
    first_name: input.first_name ?? first,
    last_name: input.last_name ?? last,
    company: input.company ?? null,
    address1: input.address1 ?? '',
    address2: input.address2 ?? '',
    city: input.city ?? '',
    province: input.province ?? null,
    country: input.country ?? 'United States',
    zip: input.zip ?? '',
    phone: input.phone ?? null,
    name: `${String(input.first_name ?? first)} ${String(input.last_name ?? last)}`.trim(),
    province_code: input.province_code ?? null,
    country_code: input.country_code ?? 'US',
    country_name: input.country ?? 'United States',
    default: true,
  };
}

/** An address as an order carries it: no id or owner of its own, and coordinates (2026-07 orders/create). */
export function orderAddress(from: ShopifyObject): ShopifyObject {
  const { id: _id, customer_id: _c, default: _d, country_name: _n, ...rest } = from;
  return { ...rest, latitude: null, longitude: null };
}

export function customer(id: number, now: string, input: ShopifyObject, addressId: number): ShopifyObject {
  const first = String(input.first_name ?? '');
  const last = String(input.last_name ?? '');
  const addresses = Array.isArray(input.addresses) && input.addresses.length ? [address(id, addressId, input.addresses[0] as ShopifyObject, first, last)] : [];
  return {
    id,
    admin_graphql_api_id: gid('Customer', id),
    email: input.email ?? null,
    created_at: now,
    updated_at: now,
    first_name: first,
    last_name: last,
    // Shopify's 2026-07 customer payloads no longer carry tags, order counts or totals; GraphQL still
    // serves them (Customer.tags, numberOfOrders, amountSpent), so the emulator keeps them to itself.
    __orders_count: 0,
    state: input.state ?? 'enabled',
    __total_spent: '0.00',
    note: input.note ?? null,
    verified_email: true,
    multipass_identifier: null,
    tax_exempt: input.tax_exempt ?? false,
    __tags: input.tags ?? '',
    currency: 'USD',
    phone: input.phone ?? null,
    addresses,
    default_address: addresses[0] ?? null,
  };
}

/** The customer as embedded in an order (IOrderCustomer). */
export function orderCustomer(c: ShopifyObject): ShopifyObject {
  const { addresses: _a, currency: _c, tax_exempt: _t, verified_email: _v, ...rest } = c;
  return rest;
}

export function product(id: number, now: string, input: ShopifyObject, variants: ShopifyObject[]): ShopifyObject {
  const title = String(input.title ?? '');
  return {
    id,
    admin_graphql_api_id: gid('Product', id),
    title,
    body_html: input.body_html ?? '',
    vendor: input.vendor ?? 'Ferry Emulator Co.',
    product_type: input.product_type ?? '',
    created_at: now,
    handle: title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''),
    updated_at: now,
    published_at: now,
    template_suffix: null,
    published_scope: 'web',
    tags: input.tags ?? '',
    status: input.status ?? 'active',
    variants,
    options: [{ id: id + 1, product_id: id, name: 'Title', position: 1, values: variants.map((v) => v.title) }],
    images: [],
    image: null,
  };
}

export function variant(id: number, productId: number, position: number, now: string, input: ShopifyObject, inventoryItemId: number, quantity: number): ShopifyObject {
  const title = String(input.title ?? input.option1 ?? 'Default Title');
  return {
    id,
    admin_graphql_api_id: gid('ProductVariant', id),
    product_id: productId,
    title,
    price: money(toCents(input.price)),
    sku: input.sku ?? '',
    position,
    inventory_policy: 'deny',
    compare_at_price: null,
    option1: title,
    option2: null,
    option3: null,
    created_at: now,
    updated_at: now,
    taxable: input.taxable ?? true,
    barcode: input.barcode ?? '',
    image_id: null,
    inventory_item_id: inventoryItemId,
    inventory_quantity: quantity,
    old_inventory_quantity: quantity,
  };
}

export function inventoryItem(id: number, now: string, sku: string): ShopifyObject {
  return {
    id,
    admin_graphql_api_id: gid('InventoryItem', id),
    sku,
    created_at: now,
    updated_at: now,
    requires_shipping: true,
    cost: null,
    country_code_of_origin: null,
    province_code_of_origin: null,
    harmonized_system_code: null,
    tracked: true,
    country_harmonized_system_codes: [],
  };
}

export function location(id: number, now: string, name: string): ShopifyObject {
  return {
    id,
    name,
    address1: '1 Warehouse Way',
    address2: null,
    city: 'Springfield',
    zip: '62701',
    province: 'Illinois',
    country: 'US',
    phone: '',
    created_at: now,
    updated_at: now,
    country_code: 'US',
    country_name: 'United States',
    province_code: 'IL',
    legacy: false,
    active: true,
    deleted_at: null,
    admin_graphql_api_id: gid('Location', id),
  };
}

export function transaction(id: number, orderId: number, now: string, input: { kind: string; amountCents: number; status: string; gateway: string; parentId: number | null; currency: string }): ShopifyObject {
  return {
    id,
    admin_graphql_api_id: gid('OrderTransaction', id),
    order_id: orderId,
    kind: input.kind,
    manual_payment_gateway: input.gateway === 'manual',
    gateway: input.gateway,
    status: input.status,
    message: input.status === 'success' ? 'Transaction approved' : 'Transaction declined',
    created_at: now,
    test: true,
    authorization: `auth-${id}`,
    location_id: null,
    user_id: null,
    parent_id: input.parentId,
    processed_at: now,
    device_id: null,
    error_code: input.status === 'success' ? null : 'card_declined',
    source_name: 'web',
    receipt: {},
    amount: money(input.amountCents),
    currency: input.currency,
  };
}

/** An order line as a fulfillment carries it (IOrderFulfillmentLineItem). */
export function fulfillmentLine(line: ShopifyObject, quantity: number): ShopifyObject {
  return {
    id: line.id,
    variant_id: line.variant_id,
    title: line.title,
    quantity,
    price: line.price,
    grams: line.grams,
    sku: line.sku,
    variant_title: line.variant_title,
    vendor: line.vendor,
    fulfillment_service: line.fulfillment_service,
    product_id: line.product_id,
    requires_shipping: line.requires_shipping,
    taxable: line.taxable,
    gift_card: line.gift_card,
    name: line.name,
    variant_inventory_management: 'shopify',
    product_exists: line.product_id !== null,
    fulfillable_quantity: line.fulfillable_quantity,
    total_discount: line.total_discount,
    fulfillment_status: line.fulfillment_status,
    tax_lines: ((line.tax_lines as ShopifyObject[]) ?? []).map(({ title, price, rate }) => ({ title, price, rate })),
    properties: line.properties,
    __discount_allocations: line.discount_allocations,
  };
}

/**
 * A fulfillment as its own endpoint returns it (IFulfillment): the SDK declares it without the order
 * view's location and single tracking number, and with discount allocations on its lines.
 */
export function standaloneFulfillment(f: ShopifyObject): ShopifyObject {
  const { location_id: _l, tracking_number: _t, line_items, ...rest } = f;
  return {
    ...rest,
    line_items: (line_items as ShopifyObject[]).map(({ __discount_allocations, ...line }) => ({ ...line, discount_allocations: __discount_allocations ?? [] })),
  };
}

/**
 * An order's payment terms in the REST shape (Order resource, `payment_terms`): the name and type, the
 * days allowed, and one payment schedule due that many days after the order.
 */
export function paymentTerms(id: number, input: ShopifyObject, totalCents: number, currency: string, issuedAt: string): ShopifyObject {
  const days = Number(input.due_in_days ?? 30);
  return {
    id,
    payment_terms_name: String(input.payment_terms_name ?? `Net ${days}`),
    payment_terms_type: String(input.payment_terms_type ?? 'NET'),
    due_in_days: days,
    amount: totalCents / 100,
    currency,
    payment_schedules: [{ id: id + 1, amount: totalCents / 100, currency, issued_at: issuedAt, due_at: new Date(Date.parse(issuedAt) + days * 86_400_000).toISOString(), completed_at: null, expected_payment_method: 'manual' }],
  };
}

/** What an order is made of, worked out by the shop's rules (rules.ts): amounts in cents. */
export interface OrderParts {
  id: number;
  number: number;
  now: string;
  input: Record<string, unknown>;
  shopName: string;
  currency: string;
  financialStatus: string;
  customer: ShopifyObject | undefined;
  codes: { code: string; amount: string; type: string }[];
  taxLines: { title: string; price: string; rate: number }[];
  lineItems: ShopifyObject[];
  shippingLines: ShopifyObject[];
  paymentTerms: ShopifyObject | null;
  billingAddress: ShopifyObject;
  lineTotal: number;
  discount: number;
  subtotal: number;
  shipping: number;
  tax: number;
  total: number;
}

/** An order as the REST API answers it (the GraphQL views read the same object). */
export function order(parts: OrderParts): ShopifyObject {
  const { id, number, now, input, shopName, currency, financialStatus, customer, codes, taxLines, lineItems, shippingLines, paymentTerms, billingAddress, lineTotal, discount, subtotal, shipping, tax, total } = parts;
  return {
    id,
    admin_graphql_api_id: gid('Order', id),
    app_id: 1354745,
    browser_ip: null,
    buyer_accepts_marketing: false,
    cancel_reason: null,
    cancelled_at: null,
    cart_token: '',
    checkout_token: null,
    client_details: { accept_language: null, browser_height: null, browser_ip: null, browser_width: null, session_hash: null, user_agent: null },
    closed_at: null,
    confirmation_number: `FRY${String(number)}`,
    confirmed: true,
    contact_email: customer?.email ?? input.email ?? null,
    created_at: input.created_at ?? now,
    currency,
    current_subtotal_price: money(subtotal),
    current_subtotal_price_set: moneySet(subtotal, currency),
    current_total_discounts: money(discount),
    current_total_discounts_set: moneySet(discount, currency),
    current_total_duties_set: null,
    current_total_price: money(total),
    current_total_price_set: moneySet(total, currency),
    current_total_tax: money(tax),
    current_total_tax_set: moneySet(tax, currency),
    customer_locale: 'en',
    discount_applications: codes.map((d) => ({ type: 'discount_code', code: d.code, title: d.code, description: d.code, value: d.amount, value_type: 'fixed_amount', allocation_method: 'across', target_selection: 'all', target_type: 'line_item' })),
    discount_codes: codes,
    email: customer?.email ?? input.email ?? '',
    financial_status: financialStatus,
    fulfillment_status: null,
    landing_site: '',
    location_id: null,
    name: `#${number}`,
    note: input.note ?? null,
    note_attributes: (input.note_attributes as unknown[]) ?? [],
    number: number - 1000,
    order_number: number,
    order_status_url: `https://${shopName}.myshopify.com/orders/${id}/authenticate`,
    // An order on terms names no gateway until it is paid; one paid at checkout names the gateway that took it.
    payment_gateway_names: financialStatus === 'pending' ? [] : ['shopify_payments'],
    payment_terms: paymentTerms,
    phone: null,
    presentment_currency: currency,
    processed_at: input.processed_at ?? now,
    referring_site: '',
    source_identifier: null,
    source_name: 'web',
    subtotal_price: money(subtotal),
    subtotal_price_set: moneySet(subtotal, currency),
    tags: input.tags ?? '',
    tax_lines: taxLines,
    taxes_included: false,
    test: true,
    token: randomUUID().replace(/-/g, ''),
    total_discounts: money(discount),
    total_discounts_set: moneySet(discount, currency),
    total_line_items_price: money(lineTotal),
    total_line_items_price_set: moneySet(lineTotal, currency),
    total_outstanding: money(financialStatus === 'paid' ? 0 : total),
    total_price: money(total),
    total_price_set: moneySet(total, currency),
    total_shipping_price_set: moneySet(shipping, currency),
    total_tax: money(tax),
    total_tax_set: moneySet(tax, currency),
    total_tip_received: '0.00',
    total_weight: 0,
    updated_at: input.created_at ?? now,
    user_id: null,
    billing_address: billingAddress,
    shipping_address: null,
    customer: customer ? orderCustomer(customer) : undefined,
    line_items: lineItems,
    shipping_lines: shippingLines,
    fulfillments: [],
    refunds: [],
    __transactions: [] as ShopifyObject[],
  };
}
