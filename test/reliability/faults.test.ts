/**
 * The Shopify → QuickBooks flows under a storm of faults: 20% 429s, 5% 500s, 2% dropped connections
 * and 2% requests never answered. Runs repeat (as the schedule would) until nothing is left to retry;
 * then every order, payment and refund is booked exactly once and to the cent (`ferry reconcile`),
 * Shopify's THROTTLED answers were waited out (measured from the emulator's request log), and the counts in
 * `ferry info` match what QuickBooks holds. FERRY_HEAVY=1 runs it over 300 orders instead of 40.
 * The QuickBooks company keeps custom transaction numbers off, as a new company does, so it refuses no
 * duplicate DocNumber and only Ferry's own lookups keep each document single;
 * FERRY_QBO_CUSTOM_TXN_NUMBERS=1 runs it against a company that has them on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaults } from '../../emulators/core/faults.js';
import type { RunningEmulator } from '../../emulators/index.js';
import type { Reconciliation } from '../../src/report/reconcile.js';
import type { SyncInfo } from '../../src/report/sync-info.js';
import { type EmulatedProject, emulatedProject } from '../support/emulated-project.js';

const HEAVY = Boolean(process.env.FERRY_HEAVY);
const FAULTS = '429=0.2,500=0.05,drop=0.02,timeout=0.02';
let project: EmulatedProject;
let running: RunningEmulator[];
const ferry = (...args: string[]) => project.ferry(...args);

beforeAll(async () => {
  // Requests the emulator never answers are given up on after two seconds, then retried.
  project = await emulatedProject(['shopify', 'quickbooks'], { seed: 77, dataSize: HEAVY ? 'demo' : 'small', rateScale: 10, quickbooks: { customTxnNumbers: process.env.FERRY_QBO_CUSTOM_TXN_NUMBERS === '1' } }, { timeout_ms: '2000' });
  running = project.running;
  // Faults start after seeding, so the business itself is whole.
  for (const e of running) await e.server.inject('PUT', '/__admin/faults', parseFaults(FAULTS));
}, 120_000);
afterAll(() => project.close());

describe(`a sync under ${FAULTS}`, () => {
  it('delivers every record exactly once, waits out THROTTLED answers, and reports what QuickBooks holds', { timeout: HEAVY ? 1_800_000 : 300_000 }, async () => {
    let runs = 0;
    for (;;) {
      runs++;
      const started = Date.now();
      await ferry('run', '--all');
      console.info(`fault soak: run ${runs} took ${Date.now() - started} ms`);
      const info = JSON.parse((await ferry('info', '--json')).out) as SyncInfo;
      const retryable = info.flows.reduce((n, f) => n + f.records.failed + f.records.waiting + f.records.pending + (f.lastRun?.status === 'failed' ? 1 : 0), 0);
      // Orders the credit check holds are a person's to release, not a fault's.
      const held = info.flows.flatMap((f) => f.failures.filter((r) => r.status === 'held').map((r) => [f.name, r.sourceId] as const));
      for (const [flow, id] of held) await ferry('approve', flow, id);
      if (!retryable && !held.length) break;
      expect(runs, 'runs needed to deliver everything').toBeLessThan(6);
    }
    for (const e of running) await e.server.inject('PUT', '/__admin/faults', {});

    const info = JSON.parse((await ferry('info', '--json')).out) as SyncInfo;
    for (const f of info.flows) expect(f.failures.filter((r) => r.status === 'dead'), `${f.name} dead-lettered records`).toEqual([]);

    const reconciled = JSON.parse((await ferry('reconcile', '--json')).out) as Reconciliation;
    expect(reconciled.flows.flatMap((f) => f.mismatches)).toEqual([]);

    // `ferry info`'s created counts are what QuickBooks holds.
    const qbo = running.find((e) => e.service === 'quickbooks')!;
    const count = async (entity: string) => {
      const body = (await qbo.server.inject('GET', `/v3/company/${qbo.credentials.realm_id}/query?query=${encodeURIComponent(`select count(*) from ${entity}`)}`)).body as { QueryResponse: { totalCount: number } };
      return body.QueryResponse.totalCount;
    };
    const created = (flow: string) => info.flows.find((f) => f.name === flow)!.period.counts.created;
    expect(created('shopify-orders-to-quickbooks-sales-receipts')).toBe(await count('SalesReceipt'));
    expect(created('shopify-orders-to-quickbooks-invoices')).toBe(await count('Invoice'));
    expect(created('shopify-payments-to-quickbooks')).toBe(await count('Payment'));
    expect(created('shopify-refunds-to-quickbooks-refund-receipts')).toBe(await count('RefundReceipt'));

    // Throttling, measured: after each THROTTLED answer (GraphQL's, HTTP 200), nothing reached Shopify again
    // for the second the connector waits at least, but for requests already on their way when it went out.
    const shop = running.find((e) => e.service === 'shopify')!;
    const log = shop.server.log;
    const throttled = log.filter((r) => r.fault === 'rate-limited');
    expect(throttled.length).toBeGreaterThan(5);
    const early = throttled.flatMap((t) => log.filter((r) => r.at > t.at + 100 && r.at < t.at + 950));
    expect(early).toEqual([]);
    const waits = throttled.map((t) => (log.find((r) => r.at > t.at + 100)?.at ?? Infinity) - t.at).filter(Number.isFinite);
    console.info(`fault soak: ${runs} run(s); Shopify answered ${throttled.length} × THROTTLED and ${log.filter((r) => r.status === 500).length} × 500 of ${log.length} requests; shortest wait after THROTTLED: ${Math.min(...waits)} ms`);
  });
});
