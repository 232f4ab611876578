/**
 * Connector figures against the rate-limited emulators: requests per record, and wall time against the
 * shortest time the vendor's documented limit allows for that many requests.
 */
import type { HubSpotClient } from '../connectors/hubspot/client.js';
import { hubspot } from '../connectors/hubspot/index.js';
import type { QuickBooksClient } from '../connectors/quickbooks/client.js';
import { quickbooks } from '../connectors/quickbooks/index.js';
import type { ShopifyClient } from '../connectors/shopify/client.js';
import { shopify } from '../connectors/shopify/index.js';
import type { StripeClient } from '../connectors/stripe/client.js';
import { stripe } from '../connectors/stripe/index.js';
import type { EntityDeclaration, WriteItem } from '../src/connector/types.js';
import { startHubSpot } from '../emulators/hubspot/index.js';
import { startQuickBooks } from '../emulators/quickbooks/index.js';
import { startShopify } from '../emulators/shopify/index.js';
import { startStripe } from '../emulators/stripe/index.js';

export interface ConnectorFigures {
  records: number;
  requests: number;
  requestsPerRecord: number;
  seconds: number;
  minimumSeconds: number;
  ratio: number | null;
  throttled: number;
  /** Shopify's GraphQL points spent per record. */
  pointsPerOrder?: number;
}

async function writeAll(entity: EntityDeclaration<unknown>, client: unknown, items: WriteItem[]): Promise<void> {
  const size = entity.batchSize ?? 1;
  const batches: WriteItem[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const results = await entity.write!(client, batches[next++]!);
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) throw failed.error;
    }
  };
  await Promise.all(Array.from({ length: entity.concurrency ?? 1 }, worker));
}

/** The figures of one run: `log` is the emulator's request log, where its 429s are counted. */
function figures(records: number, requests: number, seconds: number, minimum: number, log: { status: number | null }[]): ConnectorFigures {
  return { records, requests, requestsPerRecord: requests / records, seconds, minimumSeconds: minimum, ratio: minimum ? seconds / minimum : null, throttled: log.filter((e) => e.status === 429).length };
}

/** Shortest wall time for `requests` under `limit` per `windowSeconds`: the first window's worth goes at once. */
function minimumSeconds(requests: number, limit: number, windowSeconds: number): number {
  return Math.max(0, Math.ceil(requests / limit) - 1) * windowSeconds;
}

export async function hubspotUpserts(records: number): Promise<ConnectorFigures> {
  const emu = await startHubSpot({ requestsPerTenSeconds: 190 });
  try {
    const client = (await hubspot.open({ name: 'hubspot', connector: 'hubspot', baseUrl: emu.url, options: { access_token: emu.accessToken } }, {})) as HubSpotClient;
    const items = Array.from({ length: records }, (_, i) => ({ sourceId: `c${i}`, idempotencyKey: `k${i}`, match: { field: 'email', value: `c${i}@bench.test` }, payload: { email: `c${i}@bench.test`, firstname: 'Bench' } }));
    const started = performance.now();
    await writeAll(hubspot.entities.contacts as EntityDeclaration<unknown>, client, items);
    const seconds = (performance.now() - started) / 1000;
    const minimum = minimumSeconds(client.requests, 190, 10);
    return figures(records, client.requests, seconds, minimum, emu.server.log);
  } finally {
    await emu.close();
  }
}

export async function quickbooksInvoices(records: number): Promise<ConnectorFigures> {
  const emu = await startQuickBooks({ seed: 3 });
  try {
    const options = { realm_id: emu.options.realmId, client_id: emu.options.clientId, client_secret: emu.options.clientSecret, refresh_token: emu.options.refreshToken, access_token: emu.options.accessToken, token_url: `${emu.url}/oauth2/v1/tokens/bearer` };
    const client = (await quickbooks.open({ name: 'quickbooks', connector: 'quickbooks', baseUrl: emu.url, options }, {})) as QuickBooksClient;
    const [customer] = await quickbooks.entities.customers!.write!(client, [{ sourceId: 'c', idempotencyKey: 'c', payload: { DisplayName: 'Bench Buyer' } }]);
    const [item] = await quickbooks.entities.items!.write!(client, [{ sourceId: 'i', idempotencyKey: 'i', payload: { Name: 'Bench Widget', Type: 'Service', UnitPrice: 12.5 } }]);
    if (!customer?.ok || !item?.ok) throw new Error('could not set up the invoice benchmark');
    const before = client.requests;
    const items = Array.from({ length: records }, (_, i) => ({
      sourceId: `o${i}`,
      idempotencyKey: `o${i}`,
      payload: { DocNumber: `B${i}`, CustomerRef: { value: customer.targetId }, Line: [{ Amount: 25, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: item.targetId }, Qty: 2, UnitPrice: 12.5 } }] },
    }));
    const started = performance.now();
    await writeAll(quickbooks.entities.invoices as EntityDeclaration<unknown>, client, items);
    const seconds = (performance.now() - started) / 1000;
    const requests = client.requests - before;
    // 40 batches a minute binds before 500 requests a minute does.
    const minimum = minimumSeconds(requests, 40, 60);
    return figures(records, requests, seconds, minimum, emu.server.log);
  } finally {
    await emu.close();
  }
}

/**
 * Orders with their payments from Shopify's GraphQL Admin API, as the payments flow reads them: a full
 * sync past `bulk_threshold` (one bulk operation), or pages when the threshold is set above the count.
 * The floor is what the standard plan's cost bucket allows (2,000 points, 100 a second) for the points
 * the answers report spending; THROTTLED answers are counted.
 */
export async function shopifyOrderReads(records: number, bulk: boolean): Promise<ConnectorFigures> {
  const emu = await startShopify({ seed: 5, bulkRunMs: 500 });
  try {
    // Seeded through the emulator's handlers, outside its limits: only Ferry's reads are measured. Half are on terms, paid later.
    const { product } = (await emu.server.inject('POST', '/admin/api/2026-07/products.json', { product: { title: 'Bench Mug', variants: [{ sku: 'BENCH-1', price: '9.50', inventory_quantity: 1_000_000 }] } })).body as { product: { variants: { id: number }[] } };
    for (let i = 0; i < records; i++) {
      const terms = i % 2 === 0;
      const { order } = (await emu.server.inject('POST', '/admin/api/2026-07/orders.json', { order: { email: `o${i}@bench.test`, line_items: [{ variant_id: product.variants[0]!.id, quantity: 1 }], financial_status: terms ? 'pending' : 'paid', payment_terms: terms ? { payment_terms_type: 'NET', due_in_days: 30 } : undefined } })).body as { order: { id: number; total_price: string } };
      if (terms) await emu.server.inject('POST', `/admin/api/2026-07/orders/${order.id}/transactions.json`, { transaction: { kind: 'capture', amount: order.total_price } });
    }
    const options = { shop: emu.shop, access_token: emu.accessToken, bulk_threshold: bulk ? '250' : String(records + 1) };
    const client = (await shopify.open({ name: 'shopify', connector: 'shopify', baseUrl: emu.url, options }, {})) as ShopifyClient;
    const started = performance.now();
    let read = 0;
    for await (const page of shopify.entities.transactions!.read!(client, {})) read += page.records.length;
    const seconds = (performance.now() - started) / 1000;
    if (read !== records) throw new Error(`read ${read} payments of ${records} orders`);
    const minimum = Math.max(0, client.spent - 2_000) / 100;
    return { ...figures(records, client.requests, seconds, minimum, emu.server.log), throttled: client.throttled, pointsPerOrder: client.spent / records };
  } finally {
    await emu.close();
  }
}

/** Creating Stripe customers at 25 requests a second (test mode): Stripe has no batch endpoint, so one request each. */
export async function stripeCustomers(records: number): Promise<ConnectorFigures> {
  const emu = await startStripe({ seed: 6, ratePerSecond: 25 });
  try {
    const client = (await stripe.open({ name: 'stripe', connector: 'stripe', baseUrl: emu.url, options: { secret_key: emu.secretKey } }, {})) as StripeClient;
    const items = Array.from({ length: records }, (_, i) => ({ sourceId: `co${i}`, idempotencyKey: `co${i}`, payload: { email: `co${i}@bench.test`, name: `Company ${i}` } }));
    const started = performance.now();
    await writeAll(stripe.entities.customers as EntityDeclaration<unknown>, client, items);
    const seconds = (performance.now() - started) / 1000;
    const minimum = minimumSeconds(client.requests, 25, 1);
    return figures(records, client.requests, seconds, minimum, emu.server.log);
  } finally {
    await emu.close();
  }
}
