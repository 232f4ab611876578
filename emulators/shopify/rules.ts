/**
 * The shop's business rules, as Shopify applies them: unique customer emails, products with variants and
 * inventory items, inventory levels set or adjusted, orders priced from their lines (taxes, discounts,
 * shipping), payments that move the financial status, refunds and fulfillments. Every change is told to
 * `emit` (the webhooks). Served by the REST routes (routes.ts) and the GraphQL mutations alike.
 */
import { type Params, fail, ShopifyStore } from './store.js';
import * as build from './objects.js';
import { money, moneySet, type ShopifyObject, toCents } from './objects.js';

/** Shopify refuses an email that is not an address (`{"errors":{"email":["is invalid"]}}`, "Email is invalid" in GraphQL). */
function invalidEmail(input: Params): void {
  if (typeof input.email === 'string' && input.email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email)) fail(422, { email: ['is invalid'] });
}

export class ShopifyShop extends ShopifyStore {
  constructor(
    seed: number,
    readonly shopName: string,
    private readonly emit: (topic: string, object: ShopifyObject) => void,
  ) {
    super(seed);
    this.add('locations', build.location(this.id(), this.now(), 'Main warehouse'));
  }

  searchCustomers(query: string): ShopifyObject[] {
    const terms = query.split(/\s+/).filter(Boolean);
    return this.all('customers').filter((c) =>
      terms.every((term) => {
        const [field, value] = term.includes(':') ? term.split(':', 2) : [undefined, term];
        const wanted = String(value).toLowerCase();
        // `tag:` matches one of the customer's comma-separated tags (https://shopify.dev/docs/api/admin-rest/latest/resources/customer#get-customers-search).
        const fields = field === 'tag' ? String(c.__tags ?? '').split(',').map((t) => t.trim()) : field ? [c[field]] : [c.email, c.first_name, c.last_name];
        return fields.some((f) => String(f ?? '').toLowerCase() === wanted);
      }),
    );
  }

  createCustomer(input: Params): ShopifyObject {
    invalidEmail(input);
    if (input.email && this.all('customers').some((c) => String(c.email).toLowerCase() === String(input.email).toLowerCase())) fail(422, { email: ['has already been taken'] });
    if (!input.email && !input.phone && !input.first_name && !input.last_name) fail(422, { customer: ['must have a name, phone number or email address'] });
    const customer = this.add('customers', build.customer(this.id(), this.now(), input, this.id()));
    this.emit('customers/create', customer);
    return customer;
  }

  updateCustomer(id: string, input: Params): ShopifyObject {
    const customer = this.find('customers', id);
    invalidEmail(input);
    for (const key of ['email', 'first_name', 'last_name', 'phone', 'note', 'tax_exempt', 'state']) if (key in input) customer[key] = input[key];
    if ('tags' in input) customer.__tags = input.tags;
    customer.updated_at = this.now();
    this.emit('customers/update', customer);
    return customer;
  }

  createProduct(input: Params): ShopifyObject {
    if (!input.title) fail(422, { title: ["can't be blank"] });
    const productId = this.id();
    const now = this.now();
    const location = this.all('locations')[0]!;
    const variantsInput = (Array.isArray(input.variants) && input.variants.length ? input.variants : [{}]) as Params[];
    const variants = variantsInput.map((v, i) => {
      const item = this.add('inventory_items', build.inventoryItem(this.id(), now, String(v.sku ?? '')));
      const quantity = Number(v.inventory_quantity ?? 0);
      this.levels.set(`${String(item.id)}:${String(location.id)}`, { inventory_item_id: item.id, location_id: location.id, available: quantity, updated_at: now });
      return build.variant(this.id(), productId, i + 1, now, v, Number(item.id), quantity);
    });
    const product = this.add('products', build.product(productId, now, input, variants));
    this.emit('products/create', product);
    return product;
  }

  /** Product fields, and variant prices, SKUs and titles by variant id. Inventory changes through inventory levels. */
  updateProduct(id: string, input: Params): ShopifyObject {
    const product = this.find('products', id);
    const now = this.now();
    for (const key of ['title', 'body_html', 'vendor', 'product_type', 'tags', 'status']) if (key in input) product[key] = input[key];
    for (const change of (input.variants as Params[] | undefined) ?? []) {
      const variant = (product.variants as ShopifyObject[]).find((v) => v.id === Number(change.id)) ?? fail(422, { variants: [`variant ${String(change.id)} does not belong to the product`] });
      if (change.price !== undefined) variant.price = money(toCents(change.price));
      if (change.sku !== undefined) variant.sku = change.sku;
      if (change.title !== undefined) variant.title = change.title;
      variant.updated_at = now;
    }
    product.updated_at = now;
    this.emit('products/update', product);
    return product;
  }

  private variantByInventoryItem(itemId: number): ShopifyObject | undefined {
    for (const product of this.all('products')) for (const v of product.variants as ShopifyObject[]) if (v.inventory_item_id === itemId) return v;
    return undefined;
  }

  /** `inventory_levels/set.json` and `adjust.json` (https://shopify.dev/docs/api/admin-rest/latest/resources/inventorylevel). */
  setLevel(params: Params, mode: 'set' | 'adjust'): ShopifyObject {
    const itemId = Number(params.inventory_item_id);
    const locationId = Number(params.location_id);
    this.find('inventory_items', itemId);
    this.find('locations', locationId);
    const key = `${itemId}:${locationId}`;
    const level = this.levels.get(key) ?? { inventory_item_id: itemId, location_id: locationId, available: 0 };
    if (mode === 'set') {
      if (!Number.isInteger(Number(params.available))) fail(422, { available: ['must be an integer'] });
      level.available = Number(params.available);
    } else {
      level.available = Number(level.available) + Number(params.available_adjustment ?? 0);
    }
    level.updated_at = this.now();
    this.levels.set(key, level);
    const v = this.variantByInventoryItem(itemId);
    if (v) {
      v.old_inventory_quantity = v.inventory_quantity;
      v.inventory_quantity = [...this.levels.values()].filter((l) => l.inventory_item_id === itemId).reduce((s, l) => s + Number(l.available), 0);
    }
    this.emit('inventory_levels/update', level);
    return level;
  }

  createOrder(input: Params): ShopifyObject {
    const itemsInput = input.line_items as Params[] | undefined;
    if (!Array.isArray(itemsInput) || !itemsInput.length) fail(422, { line_items: ['must have at least one line item'] });
    const now = this.now();
    const currency = String(input.currency ?? 'USD');
    const id = this.id();
    let customer: ShopifyObject | undefined;
    const customerInput = input.customer as Params | undefined;
    if (customerInput?.id) customer = this.find('customers', customerInput.id);
    else if (customerInput || input.email) {
      const email = String(customerInput?.email ?? input.email ?? '');
      customer = this.all('customers').find((c) => c.email === email) ?? this.createCustomer({ ...customerInput, email });
    }
    const lineItems = itemsInput!.map((li) => {
      const v = li.variant_id ? this.findVariant(Number(li.variant_id)) : undefined;
      const price = toCents(li.price ?? v?.price);
      const quantity = Number(li.quantity ?? 1);
      if (!Number.isInteger(quantity) || quantity < 1) fail(422, { line_items: ['quantity must be greater than 0'] });
      const taxLines = ((li.tax_lines as Params[] | undefined) ?? []).map((t) => ({ title: String(t.title ?? 'Tax'), price: money(toCents(t.price)), rate: Number(t.rate ?? 0), price_set: moneySet(toCents(t.price), currency) }));
      const lineId = this.id();
      return {
        id: lineId,
        admin_graphql_api_id: build.gid('LineItem', lineId),
        variant_id: v ? v.id : null,
        product_id: v ? v.product_id : null,
        title: li.title ?? (v ? this.all('products').find((p) => p.id === v.product_id)?.title : 'Custom item'),
        variant_title: v ? v.title : '',
        name: li.title ?? (v ? `${String(this.all('products').find((p) => p.id === v.product_id)?.title)} - ${String(v.title)}` : 'Custom item'),
        sku: li.sku ?? v?.sku ?? '',
        vendor: 'Ferry Emulator Co.',
        quantity,
        current_quantity: quantity,
        fulfillable_quantity: quantity,
        fulfillment_service: 'manual',
        fulfillment_status: null,
        grams: 0,
        price: money(price),
        price_set: moneySet(price, currency),
        requires_shipping: true,
        taxable: taxLines.length > 0,
        gift_card: false,
        properties: [],
        tax_lines: taxLines,
        discount_allocations: [] as { amount: string; amount_set: unknown; discount_application_index: number }[],
        total_discount: '0.00',
        total_discount_set: moneySet(0, currency),
        __price: price,
      };
    });
    const lineTotal = lineItems.reduce((s, li) => s + li.__price * li.quantity, 0);
    const codes = ((input.discount_codes as Params[] | undefined) ?? []).map((d) => ({ code: String(d.code ?? 'DISCOUNT'), amount: money(toCents(d.amount)), type: String(d.type ?? 'fixed_amount') }));
    const discount = codes.reduce((s, d) => s + toCents(d.amount), 0);
    // Discounts are allocated across lines in proportion to their totals, to the cent.
    let allocated = 0;
    lineItems.forEach((li, i) => {
      const share = i === lineItems.length - 1 ? discount - allocated : Math.round((discount * li.__price * li.quantity) / Math.max(1, lineTotal));
      allocated += share;
      if (share) li.discount_allocations.push({ amount: money(share), amount_set: moneySet(share, currency), discount_application_index: 0 });
      li.total_discount = money(share);
      li.total_discount_set = moneySet(share, currency);
    });
    const shippingLines = ((input.shipping_lines as Params[] | undefined) ?? []).map((s) => ({
      id: this.id(),
      title: s.title ?? 'Standard',
      code: s.code ?? 'STANDARD',
      source: 'shopify',
      price: money(toCents(s.price)),
      price_set: moneySet(toCents(s.price), currency),
      discounted_price: money(toCents(s.price)),
      discounted_price_set: moneySet(toCents(s.price), currency),
      tax_lines: [],
      carrier_identifier: null,
      requested_fulfillment_service_id: null,
    }));
    const shipping = shippingLines.reduce((s, l) => s + toCents(l.price), 0);
    const orderTaxLines = ((input.tax_lines as Params[] | undefined) ?? []).map((t) => ({ title: String(t.title ?? 'Tax'), price: money(toCents(t.price)), rate: Number(t.rate ?? 0) }));
    const lineTaxes = lineItems.flatMap((li) => li.tax_lines.map(({ title, price, rate }) => ({ title, price, rate })));
    const taxLines = orderTaxLines.length ? orderTaxLines : lineTaxes;
    const tax = taxLines.reduce((s, t) => s + toCents(t.price), 0);
    const subtotal = lineTotal - discount;
    const total = subtotal + shipping + tax;
    const financialStatus = String(input.financial_status ?? 'paid');
    const number = this.nextOrderNumber++;
    const address = (input.billing_address as Params | undefined) ?? (customer?.default_address as Params | undefined) ?? {};
    const paymentTerms = input.payment_terms ? build.paymentTerms(this.id(), input.payment_terms as Params, total, currency, String(input.created_at ?? now)) : null;
    const billingAddress = build.orderAddress(build.address(customer ? Number(customer.id) : 0, Number(address.id ?? this.id()), address, String(customer?.first_name ?? ''), String(customer?.last_name ?? '')));
    const order = build.order({ id, number, now, input, shopName: this.shopName, currency, financialStatus, customer, codes, taxLines, lineItems, shippingLines, paymentTerms, billingAddress, lineTotal, discount, subtotal, shipping, tax, total });
    order.shipping_address = order.billing_address;
    this.add('orders', order);
    const transactions = order.__transactions as ShopifyObject[];
    if (financialStatus === 'paid') transactions.push(build.transaction(this.id(), id, now, { kind: 'sale', amountCents: total, status: 'success', gateway: 'shopify_payments', parentId: null, currency }));
    if (financialStatus === 'authorized') transactions.push(build.transaction(this.id(), id, now, { kind: 'authorization', amountCents: total, status: 'success', gateway: 'shopify_payments', parentId: null, currency }));
    if (customer) {
      customer.__orders_count = Number(customer.__orders_count) + 1;
      customer.__total_spent = money(toCents(customer.__total_spent) + total);
    }
    this.emit('orders/create', order);
    if (financialStatus === 'paid') this.emit('orders/paid', order);
    return order;
  }

  private findVariant(id: number): ShopifyObject {
    for (const product of this.all('products')) for (const v of product.variants as ShopifyObject[]) if (v.id === id) return v;
    return fail(422, { line_items: [`variant ${id} does not exist`] });
  }

  updateOrder(id: string, input: Params): ShopifyObject {
    const order = this.find('orders', id);
    for (const key of ['note', 'tags', 'email', 'note_attributes', 'buyer_accepts_marketing']) if (key in input) order[key] = input[key];
    order.updated_at = this.now();
    this.emit('orders/updated', order);
    return order;
  }

  private paid(order: ShopifyObject): number {
    const transactions = order.__transactions as ShopifyObject[];
    const captured = transactions.filter((t) => t.status === 'success' && (t.kind === 'sale' || t.kind === 'capture')).reduce((s, t) => s + toCents(t.amount), 0);
    const refunded = transactions.filter((t) => t.status === 'success' && t.kind === 'refund').reduce((s, t) => s + toCents(t.amount), 0);
    return captured - refunded;
  }

  /** A payment captured later on an order with terms (kind `capture` or `sale`), or a refund transaction. */
  createTransaction(order: ShopifyObject, input: Params): ShopifyObject {
    const kind = String(input.kind ?? 'capture');
    if (!['capture', 'sale', 'refund', 'void', 'authorization'].includes(kind)) fail(422, { kind: ['is not included in the list'] });
    const amount = toCents(input.amount ?? order.total_outstanding);
    if (amount <= 0) fail(422, { amount: ['must be greater than 0'] });
    const outstanding = toCents(order.total_price) - this.paid(order);
    if ((kind === 'capture' || kind === 'sale') && amount > outstanding) fail(422, { amount: [`cannot be more than the outstanding ${money(outstanding)}`] });
    const now = this.now();
    // Money on an order on terms usually arrives outside Shopify (a bank transfer), recorded with the manual gateway.
    const gateway = String(input.gateway ?? (order.payment_gateway_names as string[])[0] ?? 'manual');
    const transaction = build.transaction(this.id(), Number(order.id), now, { kind, amountCents: amount, status: 'success', gateway, parentId: (input.parent_id as number | undefined) ?? null, currency: String(order.currency) });
    (order.__transactions as ShopifyObject[]).push(transaction);
    if (!(order.payment_gateway_names as string[]).includes(gateway)) (order.payment_gateway_names as string[]).push(gateway);
    this.refreshFinancialStatus(order);
    order.updated_at = now;
    this.emit('order_transactions/create', transaction);
    if (order.financial_status === 'paid' && kind !== 'refund') this.emit('orders/paid', order);
    this.emit('orders/updated', order);
    return transaction;
  }

  private refreshFinancialStatus(order: ShopifyObject): void {
    const total = toCents(order.total_price);
    const transactions = order.__transactions as ShopifyObject[];
    const captured = transactions.filter((t) => t.status === 'success' && (t.kind === 'sale' || t.kind === 'capture')).reduce((s, t) => s + toCents(t.amount), 0);
    const refunded = transactions.filter((t) => t.status === 'success' && t.kind === 'refund').reduce((s, t) => s + toCents(t.amount), 0);
    order.total_outstanding = money(Math.max(0, total - captured));
    if (refunded > 0) order.financial_status = refunded >= captured ? 'refunded' : 'partially_refunded';
    else if (captured >= total) {
      order.financial_status = 'paid';
      for (const schedule of ((order.payment_terms as ShopifyObject | null)?.payment_schedules as ShopifyObject[] | undefined) ?? []) schedule.completed_at ??= this.now();
    }
    else if (captured > 0) order.financial_status = 'partially_paid';
  }

  /** Refunds of lines (with their tax) and shipping, paid back through a refund transaction. */
  createRefund(order: ShopifyObject, input: Params): ShopifyObject {
    const now = this.now();
    const currency = String(order.currency);
    const lines = order.line_items as ShopifyObject[];
    const refundLines = ((input.refund_line_items as Params[] | undefined) ?? []).map((r) => {
      const line = lines.find((l) => l.id === Number(r.line_item_id)) ?? fail(422, { refund_line_items: [`line item ${String(r.line_item_id)} does not belong to the order`] });
      const quantity = Number(r.quantity ?? 1);
      const already = (order.refunds as ShopifyObject[]).flatMap((x) => x.refund_line_items as ShopifyObject[]).filter((x) => x.line_item_id === line.id).reduce((s, x) => s + Number(x.quantity), 0);
      if (quantity < 1 || quantity + already > Number(line.quantity)) fail(422, { refund_line_items: [`cannot refund more than ${Number(line.quantity) - already} of line item ${String(line.id)}`] });
      const unit = toCents(line.price) - Math.round(toCents(line.total_discount) / Number(line.quantity));
      const subtotal = unit * quantity;
      const taxPerUnit = Math.round(((line.tax_lines as ShopifyObject[]) ?? []).reduce((s, t) => s + toCents(t.price), 0) / Number(line.quantity));
      const tax = taxPerUnit * quantity;
      const restock = String(r.restock_type ?? 'no_restock');
      if (restock === 'return' || restock === 'cancel') {
        const v = line.variant_id ? this.findVariant(Number(line.variant_id)) : undefined;
        const location = this.all('locations')[0]!;
        if (v) this.setLevel({ inventory_item_id: v.inventory_item_id, location_id: location.id, available_adjustment: quantity }, 'adjust');
      }
      // A refund's line item is the order's line as it was, without its current quantity (refunds/create).
      const { __price: _p, current_quantity: _q, ...publicLine } = line;
      // A refund line's subtotal and total_tax are numbers, where the rest of the order has decimal strings (Shopify's refunds/create example).
      return { id: this.id(), line_item_id: line.id, line_item: publicLine, quantity, restock_type: restock, location_id: restock === 'no_restock' ? null : this.all('locations')[0]!.id, subtotal: subtotal / 100, subtotal_set: moneySet(subtotal, currency), total_tax: tax / 100, total_tax_set: moneySet(tax, currency), __total: subtotal + tax };
    });
    const shippingInput = input.shipping as Params | undefined;
    const shippingTotal = (order.shipping_lines as ShopifyObject[]).reduce((s, l) => s + toCents(l.price), 0);
    const shipping = shippingInput?.full_refund ? shippingTotal : toCents(shippingInput?.amount);
    const refundId = this.id();
    // Shipping given back is a refund shipping line (GraphQL's Refund.refundShippingLines), not an order adjustment.
    const { __price: _p, ...shippingLine } = (order.shipping_lines as ShopifyObject[])[0] ?? { title: 'Shipping' };
    const refundShipping = shipping ? [{ id: this.id(), shipping_line: shippingLine, subtotal_amount_set: moneySet(shipping, currency), tax_amount_set: moneySet(0, currency) }] : [];
    const due = refundLines.reduce((s, l) => s + l.__total, 0) + shipping;
    const requested = ((input.transactions as Params[] | undefined) ?? []).reduce((s, t) => s + toCents(t.amount), 0);
    const amount = (input.transactions as unknown[] | undefined)?.length ? requested : due;
    if (amount > this.paid(order)) fail(422, { transactions: [`refund amount ${money(amount)} is more than the ${money(this.paid(order))} paid`] });
    const transactions = amount > 0 ? [build.transaction(this.id(), Number(order.id), now, { kind: 'refund', amountCents: amount, status: 'success', gateway: String((order.__transactions as ShopifyObject[])[0]?.gateway ?? 'manual'), parentId: Number((order.__transactions as ShopifyObject[])[0]?.id ?? null), currency })] : [];
    (order.__transactions as ShopifyObject[]).push(...transactions);
    const refund: ShopifyObject = {
      id: refundId,
      order_id: order.id,
      created_at: now,
      processed_at: now,
      note: input.note ?? null,
      admin_graphql_api_id: build.gid('Refund', refundId),
      // Shopify sends a boolean (its 2026-07 refunds/create example); shopify-api-node's declaration says string.
      restock: refundLines.some((l) => l.restock_type !== 'no_restock'),
      user_id: null,
      order_adjustments: [],
      refund_shipping_lines: refundShipping,
      refund_line_items: refundLines.map(({ __total: _t, ...l }) => l),
      transactions,
    };
    (order.refunds as ShopifyObject[]).push(refund);
    this.refreshFinancialStatus(order);
    const refundedCents = transactions.reduce((s, t) => s + toCents(t.amount), 0);
    order.current_total_price = money(toCents(order.current_total_price) - refundedCents);
    order.current_total_price_set = moneySet(toCents(order.current_total_price), currency);
    order.updated_at = now;
    this.emit('refunds/create', refund);
    this.emit('orders/updated', order);
    return refund;
  }

  createFulfillment(order: ShopifyObject, input: Params): ShopifyObject {
    const now = this.now();
    const lines = order.line_items as ShopifyObject[];
    const wanted = (input.line_items as Params[] | undefined) ?? lines.map((l) => ({ id: l.id, quantity: l.fulfillable_quantity }));
    const fulfilled = wanted.map((w) => {
      const line = lines.find((l) => l.id === Number(w.id)) ?? fail(422, { line_items: [`line item ${String(w.id)} does not belong to the order`] });
      const quantity = Number(w.quantity ?? line.fulfillable_quantity);
      if (quantity < 1 || quantity > Number(line.fulfillable_quantity)) fail(422, { line_items: [`cannot fulfill ${quantity} of line item ${String(line.id)}`] });
      line.fulfillable_quantity = Number(line.fulfillable_quantity) - quantity;
      line.fulfillment_status = line.fulfillable_quantity === 0 ? 'fulfilled' : 'partial';
      return build.fulfillmentLine(line, quantity);
    });
    const fulfillment: ShopifyObject = {
      id: this.id(),
      order_id: order.id,
      status: 'success',
      created_at: now,
      updated_at: now,
      service: 'manual',
      location_id: input.location_id ?? this.all('locations')[0]!.id,
      shipment_status: null,
      tracking_company: input.tracking_company ?? null,
      tracking_number: input.tracking_number ?? null,
      tracking_numbers: input.tracking_number ? [input.tracking_number] : [],
      tracking_url: input.tracking_url ?? null,
      tracking_urls: input.tracking_url ? [input.tracking_url] : [],
      receipt: { textcase: false, authorization: '' },
      notify_customer: input.notify_customer ?? false,
      variant_inventory_management: 'shopify',
      line_items: fulfilled,
    };
    (order.fulfillments as ShopifyObject[]).push(fulfillment);
    order.fulfillment_status = lines.every((l) => l.fulfillable_quantity === 0) ? 'fulfilled' : 'partial';
    order.updated_at = now;
    this.emit('fulfillments/create', build.standaloneFulfillment(fulfillment));
    this.emit('orders/updated', order);
    return build.standaloneFulfillment(fulfillment);
  }
}
