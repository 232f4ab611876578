/**
 * Crash safety, with Ferry as a real process killed by SIGKILL and the emulators living on in this one:
 *  - at the worst moment, deterministically: the target has accepted a batch and the ledger has not
 *    recorded it (the `after-target-write` failpoint);
 *  - at seeded random moments, restarting after each kill.
 * At the end every order has exactly one QuickBooks document, for its total to the cent (`ferry
 * reconcile`), and no write is left reserved or `pending`. 3,000 orders and 20 random kills; with FERRY_HEAVY=1,
 * 10,000 orders and 100 kills. The QuickBooks company keeps custom transaction numbers off, as a new
 * company does: it refuses no duplicate DocNumber, so nothing but Ferry's own lookups keeps each
 * document single. FERRY_QBO_CUSTOM_TXN_NUMBERS=1 runs it against a company that has them on.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../emulators/core/random.js';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import type { Reconciliation } from '../../src/report/reconcile.js';
import { type FerryProcessOptions, ferryProcess, ledgerCount as countIn, UNSETTLED_SQL as UNSETTLED } from '../support/ferry-process.js';
import { tempDir } from '../support/harness.js';

const HEAVY = Boolean(process.env.FERRY_HEAVY);
const KILLS = HEAVY ? 100 : 20;
const SEED = Number(process.env.FERRY_SEED ?? 20261122);
const PARENT_FLOWS = ['shopify-customers-to-quickbooks', 'shopify-products-to-quickbooks-items'];
const ORDER_FLOWS = ['shopify-orders-to-quickbooks-sales-receipts', 'shopify-orders-to-quickbooks-invoices'];
let running: RunningEmulator[];
let cwd: string;
const ferry = (args: string[], options?: FerryProcessOptions) => ferryProcess(cwd, args, options);
const ledgerCount = (sql: string) => countIn(cwd, sql);

beforeAll(async () => {
  running = await startEmulators(['shopify', 'quickbooks'], { seed: SEED, dataSize: HEAVY ? 'huge' : 'large', rateScale: 50, ports: { shopify: 0, quickbooks: 0 }, quickbooks: { customTxnNumbers: process.env.FERRY_QBO_CUSTOM_TXN_NUMBERS === '1' } });
  cwd = tempDir('ferry-crash-');
  const connections = Object.fromEntries(running.map((e) => [e.service, { connector: e.service, base_url: e.url, ...e.credentials }]));
  writeFileSync(join(cwd, 'ferry.yaml'), JSON.stringify({ flows: resolve(import.meta.dirname, '../../flows'), ledger: 'ledger.db', secrets_file: 'secrets.json', connections }));
}, HEAVY ? 900_000 : 120_000);
afterAll(() => Promise.all(running.map((e) => e.close())));

describe(`SIGKILL at the worst moment and at ${KILLS} random moments (seed ${SEED})`, () => {
  it('leaves every order booked once, to the cent, with nothing pending', { timeout: HEAVY ? 3_600_000 : 300_000 }, async () => {
    // Customers and items first, undisturbed: the kills are for the orders.
    expect((await ferry(['run', ...PARENT_FLOWS])).code).toBe(0);
    // The worst moment: QuickBooks has the batch, the ledger does not.
    const worst = await ferry(['run', ...ORDER_FLOWS], { env: { FERRY_FAILPOINT: 'after-target-write:2' } });
    expect(worst.signal).toBe('SIGKILL');
    expect(ledgerCount(UNSETTLED)).toBeGreaterThan(0);

    // Random moments: a seeded delay into each run, then SIGKILL, then start again.
    const random = seededRandom(SEED);
    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      const result = await ferry(['run', ...ORDER_FLOWS], { killAfterMs: 500 + Math.floor(random() * 2_500) });
      if (result.signal === 'SIGKILL') killed++;
      else expect(result.output, `run ${i} ended by itself`).not.toMatch(/already running|Error:/);
    }
    expect(killed).toBeGreaterThan(KILLS / 2);
    const afterKills = ledgerCount("SELECT COUNT(*) AS n FROM records WHERE flow LIKE 'shopify-orders-%' AND status = 'synced'");

    // Let it finish; a person approves what the credit check held; and once more.
    const last = await ferry(['run', ...ORDER_FLOWS, '--json']);
    expect(last.signal).toBe(null);
    const held = JSON.parse((await ferry(['info', 'shopify-orders-to-quickbooks-invoices', '--json'])).output) as { flows: { failures: { sourceId: string; status: string }[] }[] };
    const ids = held.flows[0]!.failures.filter((f) => f.status === 'held').map((f) => f.sourceId);
    if (ids.length) await ferry(['approve', 'shopify-orders-to-quickbooks-invoices', ...ids]);
    await ferry(['run', ...ORDER_FLOWS]);

    expect(ledgerCount(UNSETTLED)).toBe(0);
    const reconciled = JSON.parse((await ferry(['reconcile', 'shopify-orders-to-quickbooks-sales-receipts', 'shopify-orders-to-quickbooks-invoices', '--json'])).output) as Reconciliation;
    expect(reconciled.flows.flatMap((f) => f.mismatches)).toEqual([]);
    const orders = reconciled.flows.reduce((n, f) => n + f.matched, 0);
    expect(orders).toBe(reconciled.flows.reduce((n, f) => n + f.sourceCount, 0));
    console.info(`crash suite: ${killed} of ${KILLS} runs killed (plus one at the worst moment); ${afterKills} orders were booked when the kills ended; ${orders} booked once each at the end`);
  });
});
