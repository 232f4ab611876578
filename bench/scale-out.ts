/**
 * The scale-out figure, one worker count per process: `node --import tsx bench/scale-out.ts WORKERS TENANTS SIZE`.
 * A throwaway PostgreSQL cluster holds the ledger and the job queue; each tenant has its own four
 * emulated accounts at the vendors' own limits, loaded with a generated business of SIZE; WORKERS
 * `ferry daemon` processes share the tenants' flows until every record is settled. Prints one JSON line:
 * wall time, the shortest time the vendors' limits allow for the requests made, 429s, and what was
 * lost or duplicated (both must be 0).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type RunningEmulator, SERVICES, startEmulators } from '../emulators/index.js';
import { type DataSize, generateBusiness } from '../emulators/seed.js';
import type { Reconciliation } from '../src/report/reconcile.js';
import { FERRY_BIN, ferryProcess } from '../test/support/ferry-process.js';
import { startThrowawayCluster } from '../test/support/postgres-cluster.js';
import { TENANT_FLOWS, type Tenant, tenantFlow, writeTenantSetup } from './tenants.js';

export interface ScaleOutFigures {
  workers: number;
  tenants: number;
  records: number;
  seconds: number;
  /** The longest any one tenant's accounts make it wait: its vendors' limits for the requests it made. */
  minimumSeconds: number;
  requests: number;
  throttled: number;
  /** Which services answered those 429s, and on which paths. */
  throttledAt: Record<string, number>;
  lost: number;
  duplicates: number;
  /** How busy the machine's cores were during the sync (1: every core all the time). */
  machineBusy: number;
  /** CPU seconds the emulators (this process) spent answering. */
  emulatorCpuSeconds: number;
}

const [workers, tenantCount, size] = [Number(process.argv[2] ?? 1), Number(process.argv[3] ?? 20), (process.argv[4] ?? 'demo') as DataSize];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = "('synced', 'held', 'skipped', 'dead')";

/** Busy and total CPU time of all the machine's cores so far, in ms. */
function machineCpu(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Shortest wall time for `requests` under `limit` per `windowSeconds`: the first window's worth goes at once. */
function windowed(requests: number, limit: number, windowSeconds: number): number {
  return Math.max(0, Math.ceil(requests / limit) - 1) * windowSeconds;
}

/**
 * What one tenant's documented limits force, from what its emulators served: QuickBooks 500 requests a
 * minute, 10 a second and 40 batches a minute; HubSpot 190 in ten seconds; Stripe 25 a second; Shopify's
 * cost bucket, which holds 2,000 points and refills 100 a second, for the query cost charged.
 */
async function tenantMinimum(emulators: RunningEmulator[]): Promise<number> {
  const emulator = (service: string) => emulators.find((e) => e.service === service)!;
  const served = (service: string) => emulator(service).server.log.filter((e) => !e.path.startsWith('/oauth2'));
  const qbo = served('quickbooks');
  const shopify = (await emulator('shopify').server.inject('GET', '/__admin/cost')).body as { spent: number; maximumAvailable: number; restoreRate: number };
  return Math.max(
    windowed(qbo.length, 500, 60),
    windowed(qbo.length, 10, 1),
    windowed(qbo.filter((e) => e.path.endsWith('/batch')).length, 40, 60),
    windowed(served('hubspot').length, 190, 10),
    windowed(served('stripe').length, 25, 1),
    Math.max(0, shopify.spent - shopify.maximumAvailable) / shopify.restoreRate,
  );
}

/** Records each tenant flow must settle: one per source record. */
function expectedRecords(seed: number): Record<string, number> {
  const business = generateBusiness(seed, size);
  return {
    'shopify-customers-to-quickbooks': business.customers.length,
    'shopify-products-to-quickbooks-items': business.catalog.length,
    'shopify-orders-to-quickbooks-invoices': business.size.orders,
    'shopify-orders-to-quickbooks-sales-receipts': business.size.orders,
    'hubspot-companies-to-stripe-customers': business.companies.length,
  };
}

async function main(): Promise<ScaleOutFigures> {
  const cluster = await startThrowawayCluster();
  if ('unavailable' in cluster) throw new Error(cluster.unavailable);
  const cwd = mkdtempSync(join(tmpdir(), 'ferry-scale-out-'));
  const tenants: Tenant[] = [];
  const daemons: ChildProcess[] = [];
  const ledger = new pg.Client({ connectionString: cluster.url });
  try {
    for (let i = 1; i <= tenantCount; i++) {
      const ports = Object.fromEntries(SERVICES.map((s) => [s, 0]));
      tenants.push({ name: `t${String(i).padStart(2, '0')}`, emulators: await startEmulators([...SERVICES], { seed: i, dataSize: size, ports, quickbooks: { realmId: `91303548500000${String(i).padStart(2, '0')}` } }) });
    }
    const config = writeTenantSetup(cwd, tenants, cluster.url, '*/5 * * * * *');
    const expected = new Map<string, number>();
    for (const [i, tenant] of tenants.entries()) for (const [flow, n] of Object.entries(expectedRecords(i + 1))) expected.set(tenantFlow(tenant.name, flow), n);
    const records = [...expected.values()].reduce((a, b) => a + b, 0);
    await ledger.connect();

    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const machineBefore = machineCpu();
    for (let n = 0; n < workers; n++) {
      const daemon = spawn(process.execPath, [FERRY_BIN, 'daemon', '--config', config, '--port', '0', '--quiet', '--run-now'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
      let said = '';
      daemon.stderr!.on('data', (chunk: Buffer) => (said += chunk.toString()));
      daemon.once('exit', (code) => code !== null && code !== 0 && console.error(`a daemon stopped (exit ${code}): ${said}`));
      daemons.push(daemon);
    }
    for (;;) {
      if (daemons.some((d) => d.exitCode !== null)) throw new Error('a daemon stopped before the tenants were synced');
      await sleep(1_000);
      const counts = await ledger.query<{ flow: string; settled: string; open: string }>(`SELECT flow, COUNT(*) FILTER (WHERE status IN ${TERMINAL}) AS settled, COUNT(*) FILTER (WHERE status IN ('pending', 'failed')) AS open FROM records GROUP BY flow`).catch(() => ({ rows: [] }));
      const byFlow = new Map(counts.rows.map((r) => [r.flow, r]));
      const done = [...expected].every(([flow, n]) => Number(byFlow.get(flow)?.settled ?? 0) >= n && Number(byFlow.get(flow)?.open ?? 0) === 0);
      if (done) break;
      if (performance.now() - started > 30 * 60_000) throw new Error('not settled after 30 minutes');
    }
    const seconds = (performance.now() - started) / 1000;
    // What the vendors' limits allow for the work done so far, before the checks below add requests of their own.
    const minimumSeconds = Math.max(...(await Promise.all(tenants.map((t) => tenantMinimum(t.emulators)))));
    const served = tenants.flatMap((t) => t.emulators.flatMap((e) => e.server.log.map((entry) => ({ ...entry, service: e.service }))));
    const throttledAt: Record<string, number> = {};
    for (const e of served.filter((e) => e.status === 429)) {
      const where = `${e.service} ${e.method} ${e.path.replace(/\d{6,}/g, ':id')}`;
      throttledAt[where] = (throttledAt[where] ?? 0) + 1;
    }
    const machineAfter = machineCpu();
    const emulatorCpu = process.cpuUsage(cpuBefore);
    for (const d of daemons) d.kill('SIGTERM');
    await Promise.all(daemons.map((d) => new Promise((r) => (d.exitCode === null ? d.once('exit', r) : r(null)))));

    // Nothing lost: every order is in QuickBooks as its ledger says. Nothing twice: no document number repeats in a company.
    const orderFlows = tenants.flatMap((t) => TENANT_FLOWS.filter((f) => f.startsWith('shopify-orders')).map((f) => tenantFlow(t.name, f)));
    const reconcile = await ferryProcess(cwd, ['reconcile', ...orderFlows, '--json']);
    if (reconcile.signal) throw new Error(`ferry reconcile was killed: ${reconcile.output}`);
    const reconciled = JSON.parse(reconcile.output) as Reconciliation;
    const unexplained = reconciled.flows.flatMap((f) => f.mismatches.filter((m) => m.kind !== 'missing' || m.ledgerStatus !== 'held').map((m) => ({ flow: f.flow, ...m })));
    for (const m of unexplained) console.error(`not as the ledger says: ${JSON.stringify(m)}`);
    const lost = unexplained.length;
    let duplicates = 0;
    for (const tenant of tenants) {
      const qbo = tenant.emulators.find((e) => e.service === 'quickbooks')!;
      for (const entity of ['Invoice', 'SalesReceipt']) {
        const answer = await qbo.server.inject('GET', `/v3/company/${qbo.credentials.realm_id}/query?query=${encodeURIComponent(`select DocNumber from ${entity} MAXRESULTS 1000`)}`);
        const numbers = ((answer.body as { QueryResponse: Record<string, { DocNumber?: string }[]> }).QueryResponse[entity] ?? []).map((d) => d.DocNumber);
        duplicates += numbers.length - new Set(numbers).size;
      }
    }
    return {
      workers,
      tenants: tenantCount,
      records,
      seconds,
      minimumSeconds,
      requests: served.length,
      throttled: served.filter((e) => e.status === 429).length,
      throttledAt,
      lost,
      duplicates,
      machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
      emulatorCpuSeconds: (emulatorCpu.user + emulatorCpu.system) / 1e6,
    };
  } finally {
    for (const d of daemons) d.kill('SIGKILL');
    await ledger.end().catch(() => undefined);
    await Promise.all(tenants.flatMap((t) => t.emulators.map((e) => e.close())));
    cluster.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

console.log(JSON.stringify(await main()));
