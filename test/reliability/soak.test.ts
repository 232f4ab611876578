/**
 * The soak: every shipped flow over all four emulators, `ferry run --all` as a real process, with faults
 * on every service throughout (429s, 500s, dropped connections, answers lost after the request was
 * carried out, requests never answered) and a SIGKILL a few seconds into most runs; then
 * runs left alone, still under faults, until they make no more progress; then the faults stop and the
 * held records are approved, as a person would. At the end:
 *  - no duplicate: one QuickBooks document per number, one customer per name, one Stripe invoice and
 *    one Stripe customer per HubSpot deal and company;
 *  - nothing lost: `ferry reconcile` finds no mismatch, and no record is failed, dead, waiting or pending;
 *  - no Stripe invoice short of its final state: open (or paid), with all its lines, sent once;
 *  - every run that was not killed exited by itself.
 * The flows are the shipped ones with shorter retry waits (50 ms doubling to 1 s, not 1 s to 60 s): the
 * soak is about what ends up where, and the fault suite measures the waits themselves (Retry-After).
 * FERRY_HEAVY=1 runs the demo business with more kills.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import qs from 'qs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaults } from '../../emulators/core/faults.js';
import { seededRandom } from '../../emulators/core/random.js';
import { ok as call } from '../../emulators/seed.js';
import type { Reconciliation } from '../../src/report/reconcile.js';
import type { SyncInfo } from '../../src/report/sync-info.js';
import { type EmulatedProject, emulatedProject, quickBooksQuery } from '../support/emulated-project.js';
import { ferryProcess, ledgerCount, UNSETTLED_SQL } from '../support/ferry-process.js';

const HEAVY = Boolean(process.env.FERRY_HEAVY);
const KILLS = HEAVY ? 40 : 6;
const SEED = Number(process.env.FERRY_SEED ?? 20261202);
/**
 * A HubSpot 429 costs its ten-second window, so 20% of them make a run of minutes: the heavy soak takes
 * that; the default one keeps 429s rarer and spends its budget on what loses or doubles records (answers
 * lost after the work was done, dropped connections, requests never answered).
 */
const FAULTS = HEAVY ? '429=0.2,500=0.05,drop=0.02,lost=0.02,timeout=0.02' : '429=0.03,500=0.05,drop=0.03,lost=0.04,timeout=0.02';
/** A run left alone must end by itself well within this; a hang fails the soak. */
const MUST_EXIT_MS = 240_000;
type Json = Record<string, unknown>;
let project: EmulatedProject;

const setFaults = (spec: string) => Promise.all(project.running.map((e) => e.server.inject('PUT', '/__admin/faults', parseFaults(spec))));
const run = async (options: { killAfterMs?: number } = {}) => {
  const result = await ferryProcess(project.cwd, ['run', '--all'], { ...options, mustExitWithinMs: MUST_EXIT_MS });
  if (process.env.FERRY_SOAK_TRACE) console.error(`soak run: ${result.ms} ms, ${result.signal ?? `exit ${result.code}`}\n${result.output.slice(-3000)}`);
  return result;
};
const synced = () => ledgerCount(project.cwd, "SELECT COUNT(*) AS n FROM records WHERE status = 'synced'");

beforeAll(async () => {
  // Requests never answered are given up on after a second, then retried.
  project = await emulatedProject(['shopify', 'hubspot', 'stripe', 'quickbooks'], { seed: SEED, dataSize: HEAVY ? 'demo' : 'small', rateScale: 10 }, { timeout_ms: '1000' });
  const flows = (JSON.parse(readFileSync(join(project.cwd, 'ferry.yaml'), 'utf8')) as { flows: string }).flows;
  for (const file of readdirSync(flows)) {
    const text = readFileSync(join(flows, file), 'utf8').replace(/^retry:.*\n/m, '');
    writeFileSync(join(flows, file), `${text}retry: { attempts: 5, initial_delay: 50ms, max_delay: 1s }\n`);
  }
  const hubspot = project.emulator('hubspot').server;
  const open = (await call(hubspot, 'POST', '/crm/v3/objects/deals/search', { filterGroups: [{ filters: [{ propertyName: 'dealstage', operator: 'NOT_IN', values: ['closedwon', 'closedlost'] }] }], properties: [], limit: 100 })) as { results: { id: string }[] };
  for (const d of open.results) await call(hubspot, 'PATCH', `/crm/v3/objects/deals/${d.id}`, { properties: { dealstage: 'closedwon' } });
}, 120_000);
afterAll(() => project.close());

describe(`soak: ${FAULTS} throughout, ${KILLS} SIGKILLs (seed ${SEED})`, () => {
  it('ends with no duplicate, nothing lost, no unfinished Stripe invoice, nothing pending, every process exited by itself', { timeout: HEAVY ? 3_600_000 : 540_000 }, async () => {
    await setFaults(FAULTS);
    const random = seededRandom(SEED);
    const figures = { killed: 0, runsUnderFaults: 0, cleanRuns: 0, longestRunMs: 0 };
    const exitedByItself = (result: Awaited<ReturnType<typeof run>>) => {
      expect(result.output, 'a run hung').not.toMatch(/still alive after/);
      expect(result.signal, result.output).toBeNull();
      figures.longestRunMs = Math.max(figures.longestRunMs, result.ms);
    };

    for (let i = 0; i < KILLS; i++) {
      const result = await run({ killAfterMs: 1_000 + Math.floor(random() * (HEAVY ? 11_000 : 6_000)) });
      if (result.signal === 'SIGKILL') figures.killed++;
      else exitedByItself(result);
    }

    // Left alone, still under faults, until a run makes no progress.
    for (let before = -1; synced() > before && figures.runsUnderFaults < 12; figures.runsUnderFaults++) {
      before = synced();
      exitedByItself(await run());
    }

    // The faults stop; a person releases what the rules held; runs until nothing is left to do.
    await setFaults('');
    for (let i = 0; i < 6; i++) {
      figures.cleanRuns++;
      exitedByItself(await run());
      const info = JSON.parse((await project.ferry('info', '--json')).out) as SyncInfo;
      const held = info.flows.flatMap((f) => f.failures.filter((r) => r.status === 'held').map((r) => [f.name, r.sourceId] as const));
      for (const [flow, id] of held) await project.ferry('approve', flow, id);
      const open = info.flows.reduce((n, f) => n + f.records.failed + f.records.waiting + f.records.pending + f.records.dead, 0);
      if (!held.length && !open) break;
    }

    // Nothing lost, nothing left in flight.
    expect(ledgerCount(project.cwd, UNSETTLED_SQL)).toBe(0);
    const unfinished = ledgerCount(project.cwd, "SELECT COUNT(*) AS n FROM records WHERE status IN ('failed', 'dead', 'waiting', 'held', 'pending')");
    expect(unfinished, 'records not synced').toBe(0);
    const reconciled = JSON.parse((await project.ferry('reconcile', '--json')).out) as Reconciliation;
    expect(reconciled.flows.flatMap((f) => f.mismatches)).toEqual([]);

    // No duplicate anywhere.
    const quickbooks = project.emulator('quickbooks');
    let documents = 0;
    for (const entity of ['Invoice', 'SalesReceipt', 'Payment', 'CreditMemo', 'RefundReceipt']) {
      const numbers = (await quickBooksQuery(quickbooks, entity)).map((d) => String(d.DocNumber ?? d.PaymentRefNum ?? d.Id));
      documents += numbers.length;
      expect(numbers.length - new Set(numbers).size, `duplicate ${entity}s`).toBe(0);
    }
    const names = (await quickBooksQuery(quickbooks, 'Customer')).map((c) => String(c.DisplayName));
    expect(names.length - new Set(names).size, 'duplicate QuickBooks customers').toBe(0);
    const stripe = project.emulator('stripe').server;
    const list = async (path: string, params: Json = {}) => ((await call(stripe, 'GET', `${path}?${qs.stringify({ limit: 100, ...params })}`)) as { data: Json[] }).data;
    const customers = (await list('/v1/customers')).map((c) => (c.metadata as Json).hubspot_company_id).filter(Boolean);
    expect(customers.length - new Set(customers).size, 'duplicate Stripe customers').toBe(0);

    // Every deal invoice in its final state: open or paid, all its lines, sent once.
    const hubspot = project.emulator('hubspot').server;
    const invoices = (await list('/v1/invoices')).filter((i) => (i.metadata as Json).hubspot_deal_id);
    const sent = (await list('/v1/events', { type: 'invoice.sent' })).map((e) => ((e.data as Json).object as Json).id);
    const deals = invoices.map((i) => (i.metadata as Json).hubspot_deal_id);
    expect(deals.length - new Set(deals).size, 'duplicate Stripe invoices').toBe(0);
    const short: string[] = [];
    for (const invoice of invoices) {
      const lineItems = (await call(hubspot, 'GET', `/crm/v4/objects/deals/${String((invoice.metadata as Json).hubspot_deal_id)}/associations/line_items`)) as { results: unknown[] };
      const lines = (invoice.lines as { total_count: number }).total_count;
      const sends = sent.filter((id) => id === invoice.id).length;
      if (!['open', 'paid'].includes(String(invoice.status)) || lines !== lineItems.results.length || sends !== 1) short.push(`${String(invoice.id)}: ${String(invoice.status)}, ${lines} of ${lineItems.results.length} lines, sent ${sends} times`);
    }
    expect(short, 'Stripe invoices short of their final state').toEqual([]);
    expect(invoices.length).toBeGreaterThan(3);

    const requests = project.running.map((e) => ({ service: e.service, log: e.server.log }));
    const total = requests.reduce((n, r) => n + r.log.length, 0);
    const faulted = requests.reduce((n, r) => n + r.log.filter((l) => l.fault).length, 0);
    console.info(
      `soak: ${figures.killed} of ${KILLS} runs killed, then ${figures.runsUnderFaults} runs under faults and ${figures.cleanRuns} clean; longest run that ended by itself ${(figures.longestRunMs / 1000).toFixed(1)} s; ` +
        `${total} requests, ${faulted} of them faulted; ${synced()} records synced; ${documents} QuickBooks documents, ${invoices.length} Stripe deal invoices; 0 duplicates, 0 lost, 0 short, 0 pending`,
    );
  });
});
