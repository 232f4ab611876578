/**
 * Contract: the emulator's REST objects and webhook bodies hold to Shopify's own example payloads of API
 * 2026-07 (`../shared/api-specs/shopify/webhooks-unofficial/examples`, the `response` Shopify shows for
 * each topic): no field the example does not have (so nothing Shopify removed, like `gateway`), and each
 * field of the same JSON type where both are set. Nested objects and the items of lists are held to the
 * example's first item, all the way down.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopify, type RunningShopify } from '../../../emulators/shopify/index.js';
import { startReceiver } from '../../support/webhook-receiver.js';

const EXAMPLES = resolve(import.meta.dirname, '../../../../shared/api-specs/shopify/webhooks-unofficial/examples');
const example = (topic: string) => (JSON.parse(readFileSync(resolve(EXAMPLES, `${topic.replace('/', '__')}.json`), 'utf8')) as { response: unknown }).response;

const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Where `actual` strays from `reference`: a field it has that the reference lacks, or one of another type. */
export function strays(actual: unknown, reference: unknown, path: string): string[] {
  if (actual === null || reference === null || reference === undefined) return [];
  if (kind(actual) !== kind(reference)) return [`${path}: is ${kind(actual)}, Shopify sends ${kind(reference)}`];
  if (Array.isArray(actual)) return (reference as unknown[]).length ? actual.flatMap((item, i) => strays(item, (reference as unknown[])[0], `${path}[${i}]`)) : [];
  if (typeof actual !== 'object') return [];
  const ref = reference as Record<string, unknown>;
  return Object.entries(actual as Record<string, unknown>).flatMap(([key, value]) => (key in ref ? strays(value, ref[key], `${path}.${key}`) : [`${path}.${key}: Shopify does not send it`]));
}

describe("Shopify emulator against Shopify's 2026-07 example payloads", () => {
  let emu: RunningShopify;
  const rest = new Map<string, unknown>();
  const hooks = new Map<string, unknown>();

  beforeAll(async () => {
    emu = await startShopify({ seed: 8, bucketSize: 10_000, leakPerSecond: 10_000 });
    const receiver = await startReceiver();
    emu.emulator.webhooks.push({ url: receiver.url, secret: 'contract' });
    const call = async (method: string, path: string, body?: object) => {
      const response = await fetch(`${emu.url}/admin/api/2026-07/${path}`, { method, headers: { 'x-shopify-access-token': emu.accessToken, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
      return (await response.json()) as Record<string, Record<string, unknown>>;
    };
    const customer = (await call('POST', 'customers.json', { customer: { email: 'k@shop.test', first_name: 'K', last_name: 'L', addresses: [{ address1: '1 Road', city: 'Town', zip: '12345' }] } })).customer!;
    const product = (await call('POST', 'products.json', { product: { title: 'Box', variants: [{ sku: 'BOX-1', price: '9.99', inventory_quantity: 3 }] } })).product!;
    const variant = (product.variants as Record<string, unknown>[])[0]!;
    const order = (await call('POST', 'orders.json', { order: { customer: { id: customer.id }, line_items: [{ variant_id: variant.id, quantity: 2, tax_lines: [{ title: 'VAT', price: '2.00', rate: 0.1 }] }], discount_codes: [{ code: 'X', amount: '1.00' }], shipping_lines: [{ title: 'Post', price: '3.00' }], financial_status: 'pending', payment_terms: { payment_terms_name: 'Net 30', payment_terms_type: 'NET', due_in_days: 30 } } })).order!;
    const transaction = (await call('POST', `orders/${String(order.id)}/transactions.json`, { transaction: { kind: 'capture', amount: order.total_price } })).transaction;
    const lineId = (order.line_items as Record<string, unknown>[])[0]!.id;
    const refund = (await call('POST', `orders/${String(order.id)}/refunds.json`, { refund: { refund_line_items: [{ line_item_id: lineId, quantity: 1, restock_type: 'return' }], shipping: { full_refund: true } } })).refund;
    const finalOrder = (await call('GET', `orders/${String(order.id)}.json`)).order;
    await emu.emulator.settled();
    await receiver.close();
    for (const delivery of receiver.received) hooks.set(String(delivery.headers['x-shopify-topic']), JSON.parse(delivery.body));
    Object.entries({ 'customers/create': customer, 'products/create': product, 'orders/create': finalOrder, 'order_transactions/create': transaction, 'refunds/create': refund }).forEach(([k, v]) => rest.set(k, v));
  });
  afterAll(() => emu?.close());

  for (const topic of ['customers/create', 'products/create', 'orders/create', 'order_transactions/create', 'refunds/create']) {
    it(`${topic}: the REST object and the webhook body send nothing Shopify does not, in its types`, () => {
      expect(rest.get(topic), 'REST object').toBeDefined();
      expect(hooks.get(topic), 'webhook body').toBeDefined();
      expect(strays(rest.get(topic), example(topic), topic)).toEqual([]);
      expect(strays(hooks.get(topic), example(topic), `${topic} (webhook)`)).toEqual([]);
    });
  }

  it('orders carry payment_terms and no gateway or processing_method (removed from 2026-07)', () => {
    const order = rest.get('orders/create') as Record<string, unknown>;
    expect(order.payment_terms).toMatchObject({ payment_terms_type: 'NET', due_in_days: 30 });
    expect(order).not.toHaveProperty('gateway');
    expect(order).not.toHaveProperty('processing_method');
    expect((rest.get('refunds/create') as Record<string, unknown>).restock).toBe(true);
  });

  it('the check itself notices a field Shopify does not send and one of another type', () => {
    expect(strays({ id: 1, gateway: 'manual', total_price: 10, lines: [{ qty: '1' }] }, { id: 2, total_price: '1.00', lines: [{ qty: 1 }] }, 'order')).toEqual([
      'order.gateway: Shopify does not send it',
      'order.total_price: is number, Shopify sends string',
      'order.lines[0].qty: is string, Shopify sends number',
    ]);
  });
});
