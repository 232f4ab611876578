/** The Shopify emulator driven by the `shopify-api-node` SDK and by plain HTTP. */
import Shopify from 'shopify-api-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopify, type RunningShopify } from '../../../emulators/shopify/index.js';
import { shopifyHmac } from '../../../emulators/shopify/server.js';
import { startReceiver } from '../../support/webhook-receiver.js';

let emu: RunningShopify;
let shopify: Shopify;

function client(token: string): Shopify {
  const c = new Shopify({ shopName: emu.shop, accessToken: token, apiVersion: '2026-07' });
  (c as unknown as { baseUrl: object }).baseUrl = { protocol: 'http:', hostname: '127.0.0.1', port: emu.port };
  return c;
}

beforeAll(async () => {
  emu = await startShopify({ seed: 3, bucketSize: 100_000, leakPerSecond: 100_000 });
  shopify = client(emu.accessToken);
});
afterAll(() => emu.close());

describe('Shopify emulator', () => {
  it('refuses a wrong access token with Shopify’s 401', async () => {
    const error = (await client('shpat_wrong').customer.list().catch((e: unknown) => e)) as { response: { statusCode: number; body: { errors: string } } };
    expect(error.response.statusCode).toBe(401);
    expect(error.response.body.errors).toMatch(/Invalid API key or access token/);
  });

  it('pages customers through the Link header with page_info, and filters by updated_at_min', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push((await shopify.customer.create({ email: `c${i}@shop.test`, first_name: 'C', last_name: String(i) })).id);
    const seen: number[] = [];
    let params: Record<string, unknown> | undefined = { limit: 3 };
    let pages = 0;
    while (params) {
      const page = await shopify.customer.list(params);
      seen.push(...page.map((c) => c.id));
      params = page.nextPageParameters as Record<string, unknown> | undefined;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
    const duplicate = (await shopify.customer.create({ email: 'c0@shop.test' }).catch((e: unknown) => e)) as { response: { statusCode: number; body: unknown } };
    expect(duplicate.response).toMatchObject({ statusCode: 422, body: { errors: { email: ['has already been taken'] } } });

    // Shopify's timestamps have one-second precision: change one customer in a later second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const later = (await shopify.customer.update(ids[6]!, { note: 'changed' })).updated_at;
    const recent = await shopify.customer.list({ updated_at_min: later });
    expect(recent.map((c) => c.id)).toEqual([ids[6]]);
    const mixed = await fetch(`${emu.url}/admin/api/2026-07/customers.json?page_info=abc&email=x`, { headers: { 'x-shopify-access-token': emu.accessToken } });
    expect(mixed.status).toBe(400);
  });

  it('computes order totals with discounts, shipping and tax to the cent, and records the sale', async () => {
    const product = await shopify.product.create({ title: 'Mug', variants: [{ sku: 'MUG-1', price: '12.50', inventory_quantity: 10 }] });
    const variant = product.variants[0]!;
    const customer = await shopify.customer.create({ email: 'buyer@shop.test', first_name: 'Bea', last_name: 'Buyer' });
    const order = await shopify.order.create({
      customer: { id: customer.id },
      line_items: [{ variant_id: variant.id, quantity: 3 }, { title: 'Gift wrap', price: '2.99', quantity: 1 }],
      discount_codes: [{ code: 'TEN', amount: '4.05', type: 'fixed_amount' }],
      shipping_lines: [{ title: 'Ground', price: '5.00' }],
      tax_lines: [{ title: 'State tax', price: '3.03', rate: 0.08 }],
      financial_status: 'paid',
    });
    expect(order).toMatchObject({ total_line_items_price: '40.49', total_discounts: '4.05', subtotal_price: '36.44', total_tax: '3.03', total_price: '44.47', financial_status: 'paid', name: '#1001', order_number: 1001 });
    const allocations = order.line_items.flatMap((l) => l.discount_allocations.map((a) => Number(a.amount)));
    expect(Math.round(allocations.reduce((a, b) => a + b, 0) * 100)).toBe(405);
    expect(await shopify.transaction.list(order.id)).toMatchObject([{ kind: 'sale', amount: '44.47', status: 'success' }]);
    // 2026-07's REST customer has no order count; GraphQL has.
    const counted = (await shopify.graphql(`{ customer(id: "gid://shopify/Customer/${customer.id}") { numberOfOrders amountSpent { amount } } }`)) as { customer: { numberOfOrders: string; amountSpent: { amount: string } } };
    expect(counted.customer).toEqual({ numberOfOrders: '1', amountSpent: { amount: '44.47' } });
  });

  it('takes payment later on an order with terms, then refunds part of it with restock', async () => {
    const product = await shopify.product.create({ title: 'Chair', variants: [{ sku: 'CHAIR-1', price: '100.00', inventory_quantity: 5 }] });
    const variant = product.variants[0]!;
    const order = await shopify.order.create({ email: 'b2b@shop.test', line_items: [{ variant_id: variant.id, quantity: 2 }], financial_status: 'pending' });
    expect(order).toMatchObject({ financial_status: 'pending', total_outstanding: '200.00' });
    await shopify.transaction.create(order.id, { kind: 'capture', amount: '150.00' });
    expect(await shopify.order.get(order.id)).toMatchObject({ financial_status: 'partially_paid', total_outstanding: '50.00' });
    const tooMuch = (await shopify.transaction.create(order.id, { kind: 'capture', amount: '60.00' }).catch((e: unknown) => e)) as { response: { statusCode: number } };
    expect(tooMuch.response.statusCode).toBe(422);
    await shopify.transaction.create(order.id, { kind: 'capture', amount: '50.00' });
    expect((await shopify.order.get(order.id)).financial_status).toBe('paid');

    const refund = await shopify.refund.create(order.id, { note: 'damaged', refund_line_items: [{ line_item_id: order.line_items[0]!.id, quantity: 1, restock_type: 'return' }] });
    expect(refund.transactions).toMatchObject([{ kind: 'refund', amount: '100.00' }]);
    expect(await shopify.order.get(order.id)).toMatchObject({ financial_status: 'partially_refunded', current_total_price: '100.00' });
    const [level] = await shopify.inventoryLevel.list({ inventory_item_ids: String(variant.inventory_item_id) });
    expect(level!.available).toBe(6);
  });

  it('sets inventory levels and fulfils orders', async () => {
    const product = await shopify.product.create({ title: 'Lamp', variants: [{ sku: 'LAMP-1', price: '30.00' }] });
    const [location] = await shopify.location.list();
    const itemId = product.variants[0]!.inventory_item_id;
    const level = await shopify.inventoryLevel.set({ inventory_item_id: itemId, location_id: location!.id, available: 42 });
    expect(level).toMatchObject({ available: 42, inventory_item_id: itemId });
    expect((await shopify.product.get(product.id)).variants[0]!.inventory_quantity).toBe(42);
    const order = await shopify.order.create({ email: 'f@shop.test', line_items: [{ variant_id: product.variants[0]!.id, quantity: 2 }] });
    const fulfillment = await (shopify.fulfillment as unknown as { create(id: number, p: object): Promise<{ status: string }> }).create(order.id, { location_id: location!.id, tracking_number: '1Z999' });
    expect(fulfillment.status).toBe('success');
    expect((await shopify.order.get(order.id)).fulfillment_status).toBe('fulfilled');
  });

  it('signs webhooks as Shopify does', async () => {
    const receiver = await startReceiver();
    await fetch(`${emu.url}/__admin/webhooks`, { method: 'POST', body: JSON.stringify({ url: receiver.url, secret: 'shpss_secret', topics: ['customers/create'] }) });
    const customer = await shopify.customer.create({ email: 'hook@shop.test' });
    await emu.emulator.settled();
    await receiver.close();
    const [delivery] = receiver.received;
    expect(receiver.received).toHaveLength(1);
    expect(delivery!.headers['x-shopify-topic']).toBe('customers/create');
    expect(delivery!.headers['x-shopify-hmac-sha256']).toBe(shopifyHmac(delivery!.body, 'shpss_secret'));
    expect(JSON.parse(delivery!.body).id).toBe(customer.id);
  });
});

describe('Shopify emulator rate limit', () => {
  it('holds the leaky bucket (40 burst, 2/s) under 1,000 concurrent requests, with the call-limit header and Retry-After', async () => {
    const limited = await startShopify({ seed: 9 });
    try {
      const started = Date.now();
      const responses = await Promise.all(Array.from({ length: 1_000 }, () => fetch(`${limited.url}/admin/api/2026-07/shop.json`, { headers: { 'x-shopify-access-token': limited.accessToken } })));
      const seconds = (Date.now() - started) / 1000;
      const ok = responses.filter((r) => r.status === 200).length;
      expect(ok).toBeGreaterThanOrEqual(40);
      expect(ok).toBeLessThanOrEqual(Math.ceil((40 + 2 * seconds) * 1.05));
      const throttled = responses.find((r) => r.status === 429)!;
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(responses.find((r) => r.status === 200)!.headers.get('x-shopify-shop-api-call-limit')).toMatch(/^\d+\/40$/);
    } finally {
      await limited.close();
    }
  });
});

describe('Shopify emulator updates', () => {
  it('updates a product and its variants', async () => {
    const product = await shopify.product.create({ title: 'Desk', variants: [{ sku: 'DESK-1', price: '150.00' }] });
    const updated = await shopify.product.update(product.id, { title: 'Standing desk', variants: [{ id: product.variants[0]!.id, price: '199.50' }] });
    expect(updated).toMatchObject({ title: 'Standing desk', variants: [{ sku: 'DESK-1', price: '199.50' }] });
  });
});
