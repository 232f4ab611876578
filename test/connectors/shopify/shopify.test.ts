/** The Shopify connector: against the Shopify emulator for reads, with nock for error classification. */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { shopify } from '../../../connectors/shopify/index.js';
import type { ShopifyClient } from '../../../connectors/shopify/client.js';
import { AuthError, PermanentError, TransientError } from '../../../src/errors.js';
import { NO_FAULTS } from '../../../emulators/core/faults.js';
import { startShopify, type RunningShopify } from '../../../emulators/shopify/index.js';

let emu: RunningShopify;

beforeAll(async () => {
  emu = await startShopify({ seed: 4, bucketSize: 100_000, leakPerSecond: 100_000 });
  for (let i = 0; i < 260; i++) await emu.server.inject('POST', '/admin/api/2026-07/customers.json', { customer: { email: `r${i}@shop.test`, first_name: 'R', last_name: String(i) } });
});
afterAll(() => emu.close());
afterEach(() => nock.cleanAll());

const open = (baseUrl: string) => shopify.open({ name: 'shopify', connector: 'shopify', baseUrl, options: { shop: emu.shop, access_token: emu.accessToken } }, {}) as ShopifyClient;

describe('Shopify connector', () => {
  it('reads every customer over several pages, oldest change first', async () => {
    const client = open(emu.url);
    const pages: number[] = [];
    const ids = new Set<string>();
    for await (const page of shopify.entities.customers!.read!(client, {})) {
      pages.push(page.records.length);
      page.records.forEach((r) => ids.add(String(r.id)));
    }
    expect(pages).toEqual([250, 10]);
    expect(ids.size).toBe(260);
    const [one] = await shopify.entities.customers!.get!(client, [...ids].slice(0, 1));
    expect(one).toMatchObject({ email: 'r0@shop.test' });
  });

  it('maps Shopify’s answers to Ferry’s classes', async () => {
    const client = open('https://mocked.test');
    const read = async () => {
      for await (const _ of shopify.entities.customers!.read!(client, {})) return;
    };
    const scope = () => nock('https://mocked.test').get('/admin/api/2026-07/customers.json').query(true);
    scope().reply(429, { errors: 'Exceeded 2 calls per second for api client.' }, { 'Retry-After': '2.0' });
    expect(await read().catch((e: unknown) => e)).toMatchObject({ constructor: TransientError, status: 429, retryAfterMs: 2_000 });
    scope().reply(401, { errors: '[API] Invalid API key or access token' });
    expect(await read().catch((e: unknown) => e)).toBeInstanceOf(AuthError);
    scope().reply(422, { errors: { email: ['has already been taken'] } });
    expect(await read().catch((e: unknown) => e)).toMatchObject({ constructor: PermanentError, field: 'email', message: 'email: has already been taken' });
    scope().reply(503, 'unavailable');
    expect(await read().catch((e: unknown) => e)).toBeInstanceOf(TransientError);
  });
});

describe('Shopify connector: order children and inventory', () => {
  it('reads captured payments and refunds with their order, and sets inventory by SKU', async () => {
    const client = shopify.open({ name: 'shopify', connector: 'shopify', baseUrl: emu.url, options: { shop: emu.shop, access_token: emu.accessToken } }, {}) as ShopifyClient;
    const { product } = (await emu.server.inject('POST', '/admin/api/2026-07/products.json', { product: { title: 'Stool', variants: [{ sku: 'STOOL-1', price: '40.00', inventory_quantity: 5 }] } })).body as { product: { variants: { id: number; inventory_item_id: number }[] } };
    const variant = product.variants[0]!;
    const { order } = (await emu.server.inject('POST', '/admin/api/2026-07/orders.json', { order: { email: 'terms@shop.test', line_items: [{ variant_id: variant.id, quantity: 2 }], financial_status: 'pending' } })).body as { order: { id: number; line_items: { id: number }[] } };
    await emu.server.inject('POST', `/admin/api/2026-07/orders/${order.id}/transactions.json`, { transaction: { kind: 'capture', amount: '80.00' } });
    await emu.server.inject('POST', `/admin/api/2026-07/orders/${order.id}/refunds.json`, { refund: { refund_line_items: [{ line_item_id: order.line_items[0]!.id, quantity: 1 }] } });

    const read = async (entity: 'transactions' | 'refunds') => {
      const out = [];
      for await (const page of shopify.entities[entity]!.read!(client, {})) out.push(...page.records);
      return out.filter((r) => (r.order as { id: number }).id === order.id);
    };
    expect(await read('transactions')).toMatchObject([{ kind: 'capture', amount: '80.00', order: { id: order.id, email: 'terms@shop.test' } }]);
    expect(await read('refunds')).toMatchObject([{ order: { id: order.id }, transactions: [{ kind: 'refund', amount: '40.00' }] }]);

    const levels = shopify.entities.inventory_levels!;
    const results = await levels.write!(client, [
      { sourceId: 'qbo-item-1', idempotencyKey: 'k1', payload: { sku: 'STOOL-1', available: 17 } },
      { sourceId: 'qbo-item-2', idempotencyKey: 'k2', payload: { sku: 'NO-SUCH-SKU', available: 1 } },
    ]);
    expect(results[0]).toMatchObject({ ok: true, action: 'updated' });
    expect(results[1]).toMatchObject({ ok: false });
    const { inventory_levels } = (await emu.server.inject('GET', `/admin/api/2026-07/inventory_levels.json?inventory_item_ids=${variant.inventory_item_id}`)).body as { inventory_levels: { available: number }[] };
    expect(inventory_levels[0]!.available).toBe(17);
  });

  it('reads the SKU catalog again after a busy answer, instead of remembering the failure', async () => {
    const client = open(emu.url);
    const write = () => shopify.entities.inventory_levels!.write!(client, [{ sourceId: 'qbo-item-1', idempotencyKey: 'k3', payload: { sku: 'STOOL-1', available: 9 } }]);
    await emu.server.inject('PUT', '/__admin/faults', { ...NO_FAULTS, rateLimited: 1 });
    await expect(write()).rejects.toBeInstanceOf(TransientError);
    await emu.server.inject('PUT', '/__admin/faults', NO_FAULTS);
    expect(await write()).toMatchObject([{ ok: true, action: 'updated' }]);
  });
});

describe('Shopify connector: customers Ferry writes', () => {
  it('tags what it creates, so a retried create after a lost answer updates the first customer; keeps other tags', async () => {
    const client = shopify.open({ name: 'shopify', connector: 'shopify', baseUrl: emu.url, options: { shop: emu.shop, access_token: emu.accessToken } }, {}) as ShopifyClient;
    const customers = shopify.entities.customers!;
    const item = { sourceId: 'hubspot-contact-77', idempotencyKey: 'k77', payload: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada.77@shop.test' } };
    const [created] = await customers.write!(client, [item]);
    expect(created).toMatchObject({ ok: true, action: 'created' });
    const id = (created as { targetId: string }).targetId;
    // The answer was lost: the same write again, with no id known, finds the customer by its tag.
    const [again] = await customers.write!(client, [{ ...item, payload: { ...item.payload, email: 'ada.new@shop.test' } }]);
    expect(again).toEqual({ ok: true, targetId: id, action: 'updated' });
    expect(await customers.find!(client, item)).toBe(id);
    const tagged = (await emu.server.inject('GET', `/admin/api/2026-07/customers/${id}.json`)).body as { customer: { tags: string; email: string } };
    expect(tagged.customer.email).toBe('ada.new@shop.test');
    expect(tagged.customer.tags).toMatch(/^ferry-[0-9a-f]{16}$/);

    // A tag someone adds in Shopify survives Ferry's later updates.
    await emu.server.inject('PUT', `/admin/api/2026-07/customers/${id}.json`, { customer: { tags: `${tagged.customer.tags}, VIP` } });
    await customers.write!(client, [{ ...item, targetId: id, payload: { first_name: 'Augusta Ada' } }]);
    const after = (await emu.server.inject('GET', `/admin/api/2026-07/customers/${id}.json`)).body as { customer: { tags: string; first_name: string } };
    expect(after.customer).toMatchObject({ first_name: 'Augusta Ada', tags: `${tagged.customer.tags}, VIP` });
    const matches = (await emu.server.inject('GET', `/admin/api/2026-07/customers/search.json?query=tag:${tagged.customer.tags}`)).body as { customers: unknown[] };
    expect(matches.customers).toHaveLength(1);
  });
});

describe('Shopify connector: recorded pages (nock)', () => {
  it('asks for changes since the cursor, oldest first, and follows the Link header’s page_info', async () => {
    const since = new Date('2026-11-01T00:00:00Z');
    const customer = (id: number) => ({ id, email: `p${id}@shop.test`, updated_at: `2026-11-0${id}T00:00:00-05:00` });
    const asked: Record<string, string>[] = [];
    nock('https://shop.mocked')
      .get('/admin/api/2026-07/customers.json')
      .query((q) => (asked.push(q as Record<string, string>), q.page_info === undefined))
      .reply(200, { customers: [customer(1), customer(2)] }, { link: '<https://shop.mocked/admin/api/2026-07/customers.json?limit=250&page_info=NEXT>; rel="next"' })
      .get('/admin/api/2026-07/customers.json')
      .query((q) => (asked.push(q as Record<string, string>), q.page_info === 'NEXT'))
      .reply(200, { customers: [customer(3)] });
    const ids: unknown[] = [];
    for await (const page of shopify.entities.customers!.read!(open('https://shop.mocked'), { since })) ids.push(...page.records.map((r) => r.id));
    expect(ids).toEqual([1, 2, 3]);
    expect(asked[0]).toMatchObject({ limit: '250', order: 'updated_at asc', updated_at_min: since.toISOString() });
    // A page_info request carries nothing but the cursor and the limit, as Shopify requires.
    expect(asked.at(-1)).toEqual({ limit: '250', page_info: 'NEXT' });
    expect(nock.isDone()).toBe(true);
  });
});
