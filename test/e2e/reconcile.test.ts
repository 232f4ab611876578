/**
 * Reconciliation over a large generated business: 3,000 Shopify orders (multi-line, discounts, taxes,
 * shipping, refunds, some on terms) from a random seed, synced to QuickBooks by the shipped flows; then
 * `ferry reconcile` must find every order, payment and refund booked once, to the cent. A deliberate
 * discrepancy must then be found and named. The emulators' rate limits are scaled up (with matching
 * client pacing): this test is about amounts, not pacing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reconciliation } from '../../src/report/reconcile.js';
import { type EmulatedProject, emulatedProject } from '../support/emulated-project.js';

const SEED = Number(process.env.FERRY_SEED ?? Math.floor(Math.random() * 1_000_000));
let project: EmulatedProject;
const ferry = (...args: string[]) => project.ferry(...args);

beforeAll(async () => {
  project = await emulatedProject(['shopify', 'quickbooks'], { seed: SEED, dataSize: 'large', rateScale: 50 });
}, 120_000);
afterAll(() => project.close());

describe(`reconcile after syncing a generated business (seed ${SEED}; rerun with FERRY_SEED=${SEED})`, () => {
  it('finds every order, payment and refund booked once and to the cent, then names a tampered document', { timeout: 300_000 }, async () => {
    expect((await ferry('run', '--all')).err).toBe('');
    // The credit check holds some orders on terms; a person approves them all.
    const info = JSON.parse((await ferry('info', 'shopify-orders-to-quickbooks-invoices', '--json')).out) as { flows: { failures: { sourceId: string; status: string }[] }[] };
    const held = info.flows[0]!.failures.filter((f) => f.status === 'held').map((f) => f.sourceId);
    if (held.length) expect((await ferry('approve', 'shopify-orders-to-quickbooks-invoices', ...held)).code).toBe(0);
    expect((await ferry('run', '--all')).err).toBe('');

    const clean = await ferry('reconcile', '--json');
    const result = JSON.parse(clean.out) as Reconciliation;
    expect(result.flows.flatMap((f) => f.mismatches)).toEqual([]);
    expect(clean.code).toBe(0);
    const byFlow = new Map(result.flows.map((f) => [f.flow, f]));
    const receipts = byFlow.get('shopify-orders-to-quickbooks-sales-receipts')!;
    const invoices = byFlow.get('shopify-orders-to-quickbooks-invoices')!;
    expect(receipts.sourceCount + invoices.sourceCount).toBeGreaterThanOrEqual(2_000);
    for (const f of result.flows) {
      expect(f.matched, f.flow).toBe(f.sourceCount);
      expect(f.targetTotal, f.flow).toBe(f.sourceTotal);
    }
    expect(byFlow.get('shopify-refunds-to-quickbooks-refund-receipts')!.matched).toBeGreaterThan(0);
    expect(byFlow.get('shopify-payments-to-quickbooks')!.matched).toBeGreaterThan(0);

    // Someone voids a sales receipt in QuickBooks by hand: reconcile names it and says how to fix it.
    const qbo = project.emulator('quickbooks');
    const base = `/v3/company/${qbo.credentials.realm_id}`;
    const answer = (await qbo.server.inject('GET', `${base}/query?query=${encodeURIComponent('select * from SalesReceipt MAXRESULTS 1')}`)).body as { QueryResponse: { SalesReceipt: { Id: string; SyncToken: string; DocNumber: string; TotalAmt: number }[] } };
    // A copy: the in-process emulator hands out its own objects, which the void then changes.
    const victim = { ...answer.QueryResponse.SalesReceipt[0]! };
    const voided = await qbo.server.inject('POST', `${base}/salesreceipt?operation=void`, { Id: victim.Id, SyncToken: victim.SyncToken, sparse: true });
    expect(voided.status).toBe(200);
    const tampered = await ferry('reconcile', 'shopify-orders-to-quickbooks-sales-receipts', '--json');
    expect(tampered.code).toBe(1);
    expect(tampered.out, tampered.err).not.toBe('');
    const [mismatch] = (JSON.parse(tampered.out) as Reconciliation).flows[0]!.mismatches;
    expect(mismatch).toMatchObject({ kind: 'amount', key: victim.DocNumber, targetIds: [victim.Id], sourceAmount: victim.TotalAmt, targetAmount: 0, command: expect.stringMatching(/^ferry resync shopify-orders-to-quickbooks-sales-receipts --record \d+$/) });
  });
});
