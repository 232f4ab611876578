/**
 * Past one machine, under fire: three `ferry daemon` processes on one PostgreSQL ledger sync a
 * generated business of 10,000 Shopify orders into QuickBooks, with faults on (5xx answers, dropped
 * connections, answers lost after the write), while one daemon is SIGKILLed every few seconds and
 * started again. At the end: every order booked once (`ferry reconcile` finds no mismatch and QuickBooks
 * no duplicate document number), nothing pending, no flow ever ran twice at once, and QuickBooks
 * throttled under 1% of the requests, the daemons drawing from one shared budget. Minutes long:
 * FERRY_HEAVY=1 only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../emulators/core/random.js';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import type { Reconciliation } from '../../src/report/reconcile.js';
import { ferryProcess } from '../support/ferry-process.js';
import { tempDir } from '../support/harness.js';
import { type LedgerStore, ledgerKinds } from '../support/ledger-stores.js';

const FERRY = resolve(import.meta.dirname, '../../bin/ferry');
const SEED = Number(process.env.FERRY_SEED ?? 20261202);
const FLOWS = ['shopify-customers-to-quickbooks', 'shopify-products-to-quickbooks-items', 'shopify-orders-to-quickbooks-sales-receipts', 'shopify-orders-to-quickbooks-invoices'];
const ORDER_FLOWS = FLOWS.slice(2);
const postgres = ledgerKinds().find((k) => k.name === 'PostgreSQL')!;
let running: RunningEmulator[];
let store: LedgerStore;
let cwd: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = async (sql: string) => Number((await store.sql(sql))[0]!.n);

function daemon(n: number): ChildProcess {
  return spawn(process.execPath, [FERRY, 'daemon', '--config', 'ferry.yaml', '--port', '0', '--grace', '5s', '--quiet'], { cwd, stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, FERRY_DAEMON: String(n) } });
}

describe.runIf(process.env.FERRY_HEAVY === '1' && postgres.unavailable === undefined)('three daemons on one PostgreSQL ledger, one SIGKILLed every few seconds', () => {
  beforeAll(async () => {
    running = await startEmulators(['shopify', 'quickbooks'], { seed: SEED, dataSize: 'huge', rateScale: 10, ports: { shopify: 0, quickbooks: 0 } });
    for (const e of running) await e.server.inject('PUT', '/__admin/faults', { serverError: 0.02, dropped: 0.01, lost: 0.01 });
    store = await postgres.store();
    cwd = tempDir('ferry-three-');
    const flows = join(cwd, 'flows');
    mkdirSync(flows);
    for (const flow of FLOWS) writeFileSync(join(flows, `${flow}.yaml`), readFileSync(resolve(import.meta.dirname, `../../flows/${flow}.yaml`), 'utf8').replace(/schedule: "[^"]+"/, 'schedule: "*/5 * * * * *"'));
    const connections = Object.fromEntries(running.map((e) => [e.service, { connector: e.service, base_url: e.url, ...e.credentials }]));
    writeFileSync(join(cwd, 'ferry.yaml'), JSON.stringify({ flows, ledger: store.location, secrets_file: 'secrets.json', connections }));
  }, 900_000);
  afterAll(async () => {
    await store?.close();
    await Promise.all((running ?? []).map((e) => e.close()));
  });

  it('book every order once, leave nothing pending, never run a flow twice at once, and stay within QuickBooks\' budget', { timeout: 3_600_000 }, async () => {
    const random = seededRandom(SEED);
    const daemons = [daemon(0), daemon(1), daemon(2)];
    const orders = running.find((e) => e.service === 'shopify')!;
    const expected = Number(((await orders.server.inject('GET', '/admin/api/2026-07/orders/count.json?status=any')).body as { count: number }).count);
    let kills = 0;
    const started = Date.now();
    try {
      // Until the order flows have settled every order, kill a random daemon every 3 to 8 seconds and start it again.
      for (;;) {
        await sleep(3_000 + Math.floor(random() * 5_000));
        const booked = await count(`SELECT COUNT(*) AS n FROM records WHERE flow = 'shopify-orders-to-quickbooks-invoices' AND status IN ('synced', 'held', 'skipped', 'dead')`)
          + (await count(`SELECT COUNT(*) AS n FROM records WHERE flow = 'shopify-orders-to-quickbooks-sales-receipts' AND status IN ('synced', 'held', 'skipped', 'dead')`));
        if (booked >= 2 * expected || Date.now() - started > 45 * 60_000) break;
        const victim = Math.floor(random() * daemons.length);
        daemons[victim]!.kill('SIGKILL');
        kills++;
        daemons[victim] = daemon(victim);
      }
    } finally {
      for (const child of daemons) child.kill('SIGTERM');
      await sleep(6_000);
      for (const child of daemons) child.kill('SIGKILL');
    }
    // No faults for the last word: one run settles whatever the last kill and stop left in flight.
    for (const e of running) await e.server.inject('PUT', '/__admin/faults', {});
    expect((await ferryProcess(cwd, ['run', ...FLOWS])).signal).toBe(null);

    expect(await count("SELECT (SELECT COUNT(*) FROM records WHERE status IN ('pending', 'failed')) + (SELECT COUNT(*) FROM write_intents) AS n")).toBe(0);
    const reconciled = JSON.parse((await ferryProcess(cwd, ['reconcile', ...ORDER_FLOWS, '--json'])).output) as Reconciliation;
    expect(reconciled.flows.flatMap((f) => f.mismatches.filter((m) => m.kind !== 'missing' || m.ledgerStatus !== 'held'))).toEqual([]);
    const qbo = running.find((e) => e.service === 'quickbooks')!;
    for (const entity of ['Invoice', 'SalesReceipt']) {
      const numbers = ((await qbo.server.inject('GET', `/v3/company/${qbo.credentials.realm_id}/query?query=${encodeURIComponent(`select DocNumber from ${entity} MAXRESULTS 1000`)}`)).body as { QueryResponse: Record<string, { DocNumber: string }[]> }).QueryResponse[entity] ?? [];
      expect(new Set(numbers.map((d) => d.DocNumber)).size, entity).toBe(numbers.length);
    }
    // No flow ran twice at once: each flow's runs, in start order, each start after the one before ended.
    const runs = await store.sql("SELECT flow, started_at, ended_at FROM runs ORDER BY flow, started_at");
    for (let i = 1; i < runs.length; i++) {
      if (runs[i]!.flow !== runs[i - 1]!.flow) continue;
      expect(String(runs[i]!.started_at) >= String(runs[i - 1]!.ended_at ?? runs[i]!.started_at), `${String(runs[i]!.flow)} ran twice at once`).toBe(true);
    }
    const requests = qbo.server.log.length;
    const throttled = qbo.server.log.filter((e) => e.status === 429).length;
    expect(throttled / requests).toBeLessThan(0.01);
    console.info(`three daemons: ${expected} orders, ${kills} kills over ${Math.round((Date.now() - started) / 1000)} s; ${runs.length} runs; QuickBooks throttled ${throttled} of ${requests} requests`);
  });
});
