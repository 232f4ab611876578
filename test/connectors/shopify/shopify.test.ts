/** The Shopify connector on GraphQL: against the Shopify emulator, with nock for answers an emulator would not give. */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { shopify } from '../../../connectors/shopify/index.js';
import { ShopifyClient } from '../../../connectors/shopify/client.js';
import type { JsonObject, ReadRequest } from '../../../src/connector/types.js';
import { AuthError, PermanentError, TransientError } from '../../../src/errors.js';
import { contentHash } from '../../../src/engine/hash.js';
import { NO_FAULTS } from '../../../emulators/core/faults.js';
import { startShopify, type RunningShopify } from '../../../emulators/shopify/index.js';

let emu: RunningShopify;
const API = '/admin/api/2026-07';

beforeAll(async () => {
  emu = await startShopify({ seed: 4, bucketSize: 100_000, leakPerSecond: 100_000, bulkRunMs: 20 });
  for (let i = 0; i < 260; i++) await emu.server.inject('POST', `${API}/customers.json`, { customer: { email: `r${i}@shop.test`, first_name: 'R', last_name: String(i) } });
});
afterAll(() => emu.close());
afterEach(() => nock.cleanAll());

const open = (baseUrl: string, options: Record<string, string> = { access_token: emu.accessToken }) => new ShopifyClient({ name: 'shopify', connector: 'shopify', baseUrl, options: { shop: emu.shop, ...options } });

async function readAll(client: ShopifyClient, entity: string, request: ReadRequest = {}): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  for await (const page of shopify.entities[entity]!.read!(client, request)) out.push(...page.records);
  return out;
}

describe('Shopify connector', () => {
  it('reads every customer over several pages, oldest change first, and fetches some by id', async () => {
    const client = open(emu.url);
    const pages: number[] = [];
    const ids = new Set<string>();
    for await (const page of shopify.entities.customers!.read!(client, {})) {
      pages.push(page.records.length);
      page.records.forEach((r) => ids.add(String(r.id)));
    }
    expect(pages).toEqual([100, 100, 60]);
    expect(ids.size).toBe(260);
    const [one] = await shopify.entities.customers!.get!(client, [...ids].slice(0, 1));
    expect(one).toMatchObject({ email: 'r0@shop.test', first_name: 'R', last_name: '0' });
  });

  it('maps Shopify’s answers to Ferry’s classes', async () => {
    const client = open('https://mocked.test');
    const read = () => readAll(client, 'customers').catch((e: unknown) => e);
    const scope = () => nock('https://mocked.test').post(`${API}/graphql.json`);
    const cost = { requestedQueryCost: 102, actualQueryCost: null, throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 2, restoreRate: 100 } };
    scope().reply(200, { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }], extensions: { cost } });
    expect(await read()).toMatchObject({ constructor: TransientError, code: 'THROTTLED', retryAfterMs: 1_000 });
    scope().reply(200, { errors: [{ message: "Field 'gateway' doesn't exist on type 'Order'", path: ['query', 'orders', 'nodes', 'gateway'], extensions: { code: 'undefinedField' } }] });
    expect(await read()).toMatchObject({ constructor: PermanentError, code: 'undefinedField', message: "Shopify refused the query at query.orders.nodes.gateway: Field 'gateway' doesn't exist on type 'Order'" });
    scope().reply(429, { errors: 'Too many requests' }, { 'Retry-After': '2.0' });
    expect(await read()).toMatchObject({ constructor: TransientError, status: 429, retryAfterMs: 2_000 });
    scope().reply(401, { errors: '[API] Invalid API key or access token' });
    expect(await read()).toBeInstanceOf(AuthError);
    scope().reply(503, 'unavailable');
    expect(await read()).toBeInstanceOf(TransientError);
  });

  it('never sends a query the cost bucket cannot hold: many flows on one small bucket, no THROTTLED answer', async () => {
    const small = await startShopify({ seed: 6, bucketSize: 100_000, leakPerSecond: 100_000, graphqlLimits: { maximumAvailable: 1_000, restoreRate: 1_000 } });
    try {
      for (let i = 0; i < 120; i++) await small.server.inject('POST', `${API}/customers.json`, { customer: { email: `b${i}@shop.test` } });
      const client = new ShopifyClient({ name: 'shopify', connector: 'shopify', baseUrl: small.url, options: { shop: small.shop, access_token: small.accessToken } });
      const reads = await Promise.all(Array.from({ length: 6 }, () => readAll(client, 'customers')));
      expect(reads.map((r) => r.length)).toEqual([120, 120, 120, 120, 120, 120]);
      const throttled = small.server.log.filter((l) => l.path.endsWith('/graphql.json') && l.status === 200).length;
      expect(throttled).toBe(client.requests);
      expect(client.budget.waitedMs).toBeGreaterThan(0);
    } finally {
      await small.close();
    }
  });
});

describe('Shopify connector: orders and what hangs on them', () => {
  let orderId: number;
  let variant: { id: number; inventory_item_id: number };

  beforeAll(async () => {
    const { product } = (await emu.server.inject('POST', `${API}/products.json`, { product: { title: 'Stool', variants: [{ sku: 'STOOL-1', price: '40.00', inventory_quantity: 50 }] } })).body as { product: { variants: (typeof variant)[] } };
    variant = product.variants[0]!;
    // An order on terms longer than a page's nested sizes: 7 lines, 6 payments, 2 refunds.
    const { order } = (await emu.server.inject('POST', `${API}/orders.json`, { order: { email: 'terms@shop.test', line_items: Array.from({ length: 7 }, () => ({ variant_id: variant.id, quantity: 2 })), financial_status: 'pending', payment_terms: { payment_terms_type: 'NET', due_in_days: 30 } } })).body as { order: { id: number; line_items: { id: number }[] } };
    orderId = order.id;
    for (let i = 0; i < 6; i++) await emu.server.inject('POST', `${API}/orders/${order.id}/transactions.json`, { transaction: { kind: 'capture', amount: '80.00' } });
    for (const line of order.line_items.slice(0, 2)) await emu.server.inject('POST', `${API}/orders/${order.id}/refunds.json`, { refund: { refund_line_items: [{ line_item_id: line.id, quantity: 1 }] } });
  });

  it('reads an order whole, however long, with its payments and refunds carrying the order', async () => {
    const client = open(emu.url);
    const [order] = (await readAll(client, 'orders')).filter((o) => o.id === orderId);
    expect(order).toMatchObject({ financial_status: 'partially_refunded', payment_terms: { payment_terms_type: 'NET', due_in_days: 30 } });
    expect(order).not.toHaveProperty('gateway');
    expect((order!.line_items as unknown[]).length).toBe(7);
    expect((order!.refunds as unknown[]).length).toBe(2);
    const payments = (await readAll(client, 'transactions')).filter((t) => (t.order as JsonObject).id === orderId);
    expect(payments).toHaveLength(6);
    expect(payments[0]).toMatchObject({ kind: 'capture', amount: '80.00', gateway: 'manual', order: { id: orderId, email: 'terms@shop.test', payment_terms: { due_in_days: 30 } } });
    const refunds = (await readAll(client, 'refunds')).filter((r) => (r.order as JsonObject).id === orderId);
    expect(refunds.map((r) => [(r.refund_line_items as JsonObject[])[0]!.subtotal, r.total_refunded])).toEqual([[40, '40.00'], [40, '40.00']]);
    const [fetched] = await shopify.entities.orders!.get!(client, [String(orderId)]);
    expect(fetched).toEqual(order);
  });

  it('shares one read of orders between flows that start together, and reads again once it is stale', async () => {
    const client = open(emu.url);
    const orderQueries = () => emu.server.log.filter((l) => l.path.endsWith('/graphql.json')).length;
    const before = orderQueries();
    const [invoices, receipts] = await Promise.all([readAll(client, 'orders'), readAll(client, 'orders')]);
    const shared = orderQueries() - before;
    expect(receipts).toEqual(invoices);
    const alone = orderQueries();
    await readAll(open(emu.url), 'orders');
    expect(orderQueries() - alone).toBe(shared);
    const stale = open(emu.url, { access_token: emu.accessToken, read_cache_seconds: '0' });
    const again = orderQueries();
    await Promise.all([readAll(stale, 'orders'), readAll(stale, 'orders')]);
    expect(orderQueries() - again).toBe(2 * shared);
  });

  it('gives a flow sharing a read its orders though the flow that began the read has not finished with its own', async () => {
    const client = open(emu.url, { access_token: emu.accessToken, bulk_threshold: '100000' });
    // The first flow takes one page and stops there, as a run busy writing it does.
    const first = shopify.entities.orders!.read!(client, {})[Symbol.asyncIterator]();
    expect((await first.next()).done).toBe(false);
    const second = readAll(client, 'orders');
    const outcome = await Promise.race([second.then((orders) => orders.length), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 10_000))]);
    expect(outcome).toBe((await readAll(open(emu.url, { access_token: emu.accessToken, bulk_threshold: '100000' }), 'orders')).length);
    await first.return?.();
  });

  it('reads a large full sync through one bulk operation, into the very records pages give', async () => {
    const paged = await readAll(open(emu.url, { access_token: emu.accessToken, bulk_threshold: '100000' }), 'orders');
    const bulkClient = open(emu.url, { access_token: emu.accessToken, bulk_threshold: '0' });
    const before = emu.server.log.length;
    const bulk = await readAll(bulkClient, 'orders');
    expect(emu.server.log.slice(before).some((l) => l.path.startsWith('/__bulk/'))).toBe(true);
    expect(bulk.map(contentHash)).toEqual(paged.map(contentHash));
    expect(bulkClient.requests).toBeLessThanOrEqual(5);
  });

  it('sets inventory by SKU, and reads the catalog again after a busy answer instead of remembering the failure', async () => {
    const client = open(emu.url);
    const write = (available: number) => shopify.entities.inventory_levels!.write!(client, [{ sourceId: 'qbo-item-1', idempotencyKey: `k${available}`, payload: { sku: 'STOOL-1', available } }]);
    await emu.server.inject('PUT', '/__admin/faults', { ...NO_FAULTS, rateLimited: 1 });
    await expect(write(9)).rejects.toBeInstanceOf(TransientError);
    await emu.server.inject('PUT', '/__admin/faults', NO_FAULTS);
    expect(await write(17)).toMatchObject([{ ok: true, action: 'updated' }]);
    const missing = await shopify.entities.inventory_levels!.write!(client, [{ sourceId: 'x', idempotencyKey: 'kx', payload: { sku: 'NO-SUCH-SKU', available: 1 } }]);
    expect(missing).toMatchObject([{ ok: false }]);
    const { inventory_levels } = (await emu.server.inject('GET', `${API}/inventory_levels.json?inventory_item_ids=${variant.inventory_item_id}`)).body as { inventory_levels: { available: number }[] };
    expect(inventory_levels[0]!.available).toBe(17);
  });
});

describe('Shopify connector: a Dev Dashboard app', () => {
  it('buys its token with client credentials, once per token lifetime, and syncs for longer than a token lives', async () => {
    const shop = await startShopify({ seed: 7, bucketSize: 100_000, leakPerSecond: 100_000, tokenTtlSeconds: 2 });
    try {
      for (let i = 0; i < 30; i++) await shop.server.inject('POST', `${API}/customers.json`, { customer: { email: `t${i}@shop.test` } });
      const client = new ShopifyClient({ name: 'shopify', connector: 'shopify', baseUrl: shop.url, options: { shop: shop.shop, client_id: shop.clientId, client_secret: shop.clientSecret } });
      const started = Date.now();
      let reads = 0;
      while (Date.now() - started < 5_000) {
        expect(await readAll(client, 'customers')).toHaveLength(30);
        reads++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const lifetimes = Math.ceil((Date.now() - started) / 1_800);
      expect(reads).toBeGreaterThan(10);
      expect(shop.emulator.tokenRequests).toBeGreaterThanOrEqual(3);
      expect(shop.emulator.tokenRequests).toBeLessThanOrEqual(lifetimes + 1);
      expect(shop.server.log.filter((l) => l.status === 401)).toHaveLength(0);
    } finally {
      await shop.close();
    }
  });

  it('says clearly when the app’s credentials are refused, without repeating the secret', async () => {
    const client = open(emu.url, { client_id: emu.clientId, client_secret: 'not-the-secret' });
    const error = (await readAll(client, 'customers').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/client credentials/);
    expect(error.message).not.toContain('not-the-secret');
  });
});

describe('Shopify connector: customers Ferry writes', () => {
  it('tags what it creates, so a retried create after a lost answer updates the first customer; keeps other tags', async () => {
    const client = open(emu.url);
    const customers = shopify.entities.customers!;
    const item = { sourceId: 'hubspot-contact-77', idempotencyKey: 'k77', payload: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada.77@shop.test' } };
    const [created] = await customers.write!(client, [item]);
    expect(created).toMatchObject({ ok: true, action: 'created' });
    const id = (created as { targetId: string }).targetId;
    // The answer was lost: the same write again, with no id known, finds the customer by its tag.
    const [again] = await customers.write!(client, [{ ...item, payload: { ...item.payload, email: 'ada.new@shop.test' } }]);
    expect(again).toEqual({ ok: true, targetId: id, action: 'updated' });
    expect(await customers.find!(client, item)).toBe(id);
    const tagsOf = async () => ((await client.graphql<{ customer: { tags: string[]; email: string; firstName: string } }>(`{ customer(id: "gid://shopify/Customer/${id}") { tags email firstName } }`)).customer);
    const tagged = await tagsOf();
    expect(tagged.email).toBe('ada.new@shop.test');
    expect(tagged.tags).toEqual([expect.stringMatching(/^ferry-[0-9a-f]{16}$/)]);

    // A tag someone adds in Shopify survives Ferry's later updates.
    await emu.server.inject('PUT', `${API}/customers/${id}.json`, { customer: { tags: `${tagged.tags[0]!}, VIP` } });
    await customers.write!(client, [{ ...item, targetId: id, payload: { first_name: 'Augusta Ada' } }]);
    expect(await tagsOf()).toMatchObject({ firstName: 'Augusta Ada', tags: [tagged.tags[0], 'VIP'] });
  });
});

describe('Shopify connector: recorded pages (nock)', () => {
  it('asks for changes since the cursor, oldest first, and follows pageInfo.endCursor', async () => {
    const since = new Date('2026-11-01T00:00:00Z');
    const customer = (id: number) => ({ id: `gid://shopify/Customer/${id}`, legacyResourceId: String(id), email: `p${id}@shop.test`, tags: [], updatedAt: `2026-11-0${id}T00:00:00Z`, createdAt: '2026-10-01T00:00:00Z', numberOfOrders: '0', amountSpent: { amount: '0.0', currencyCode: 'USD' } });
    const asked: { variables: Record<string, unknown> }[] = [];
    const cost = { requestedQueryCost: 102, actualQueryCost: 4, throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1996, restoreRate: 100 } };
    nock('https://shop.mocked')
      .post(`${API}/graphql.json`, (body: { variables: Record<string, unknown> }) => (asked.push(body), body.variables.after === null))
      .reply(200, { data: { customers: { pageInfo: { hasNextPage: true, endCursor: 'NEXT' }, nodes: [customer(1), customer(2)] } }, extensions: { cost } })
      .post(`${API}/graphql.json`, (body: { variables: Record<string, unknown> }) => (asked.push(body), body.variables.after === 'NEXT'))
      .reply(200, { data: { customers: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [customer(3)] } }, extensions: { cost } });
    const records = await readAll(open('https://shop.mocked'), 'customers', { since });
    expect(records.map((r) => [r.id, r.updated_at])).toEqual([[1, '2026-11-01T00:00:00-00:00'], [2, '2026-11-02T00:00:00-00:00'], [3, '2026-11-03T00:00:00-00:00']]);
    expect(asked[0]!.variables).toEqual({ first: 100, query: `updated_at:>='${since.toISOString()}'`, after: null });
    expect(nock.isDone()).toBe(true);
  });
});
