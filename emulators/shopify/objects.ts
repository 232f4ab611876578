/**
 * Shopify Admin REST objects in the shapes `shopify-api-node` declares (types/index.d.ts: ICustomer,
 * IOrder, IProduct, IProductVariant, IInventoryItem, IInventoryLevel, ILocation, ITransaction, IRefund,
 * IFulfillment). Money is carried in cents internally and rendered as Shopify's decimal strings.
 */
export type ShopifyObject = Record<string, unknown>;

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
    latitude: null,
    longitude: null,
    default: true,
  };
}

export function customer(id: number, now: string, input: ShopifyObject, addressId: number): ShopifyObject {
  const first = String(input.first_name ?? '');
  const last = String(input.last_name ?? '');
  const addresses = Array.isArray(input.addresses) && input.addresses.length ? [address(id, addressId, input.addresses[0] as ShopifyObject, first, last)] : [];
  return {
    id,
    email: input.email ?? null,
    created_at: now,
    updated_at: now,
    first_name: first,
    last_name: last,
    orders_count: 0,
    state: input.state ?? 'enabled',
    total_spent: '0.00',
    last_order_id: null,
    note: input.note ?? null,
    verified_email: true,
    multipass_identifier: null,
    tax_exempt: input.tax_exempt ?? false,
    tags: input.tags ?? '',
    last_order_name: null,
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
    product_id: productId,
    title,
    price: money(toCents(input.price)),
    sku: input.sku ?? '',
    position,
    inventory_policy: 'deny',
    compare_at_price: null,
    fulfillment_service: 'manual',
    inventory_management: 'shopify',
    option1: title,
    option2: null,
    option3: null,
    created_at: now,
    updated_at: now,
    taxable: input.taxable ?? true,
    barcode: input.barcode ?? '',
    grams: input.grams ?? 0,
    image_id: null,
    weight: input.weight ?? 0,
    weight_unit: 'kg',
    inventory_item_id: inventoryItemId,
    inventory_quantity: quantity,
    old_inventory_quantity: quantity,
    requires_shipping: input.requires_shipping ?? true,
    tax_code: null,
    presentment_prices: [{ price: { amount: money(toCents(input.price)), currency_code: 'USD' }, compare_at_price: null }],
  };
}

export function inventoryItem(id: number, now: string, sku: string): ShopifyObject {
  return {
    id,
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
    admin_graphql_api_id: `gid://shopify/Location/${id}`,
  };
}

export function transaction(id: number, orderId: number, now: string, input: { kind: string; amountCents: number; status: string; gateway: string; parentId: number | null; currency: string }): ShopifyObject {
  return {
    id,
    order_id: orderId,
    kind: input.kind,
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
