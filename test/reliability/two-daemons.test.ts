/**
 * Two `ferry daemon` processes on one ledger (a SQLite file, then a PostgreSQL database, where the
 * slots' sweeps go through the job queue) schedule the same flow every three seconds while new
 * customers keep arriving in Shopify. Every slot runs exactly once, in one daemon or the other. Midway,
 * the daemon that holds the flow's lock (caught mid-run) is killed with SIGKILL: the other takes the
 * flow over and resumes from the checkpoint. At the end (after one more run, which settles whatever the
 * survivor's own stop left in flight) every customer is in QuickBooks exactly once and nothing is
 * pending. 30 seconds on each ledger; a minute with FERRY_HEAVY=1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import { tempDir } from '../support/harness.js';
import { type LedgerStore, ledgerKinds } from '../support/ledger-stores.js';

const SECONDS = process.env.FERRY_HEAVY ? 60 : 30;
const EVERY = 3;
const FLOW = 'shopify-customers-to-quickbooks';
const FERRY = resolve(import.meta.dirname, '../../bin/ferry');
let running: RunningEmulator[];
let cwd: string;
let store: LedgerStore;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function query<T>(sql: string): Promise<T[]> {
  return (await store.sql(sql)) as T[];
}

/** A daemon process; what it says on stderr goes to NAME.err, shown if it dies on its own. */
function daemon(name: string): ChildProcess {
  writeFileSync(join(cwd, `${name}.yaml`), readFileSync(join(cwd, 'base.json'), 'utf8').replace('"LOG"', JSON.stringify(`${name}.log`)));
  return spawn(process.execPath, [FERRY, 'daemon', '--config', `${name}.yaml`, '--port', '0', '--grace', '10s', '--quiet'], { cwd, stdio: ['ignore', 'ignore', openSync(join(cwd, `${name}.err`), 'w')] });
}

const ended = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
const exit = (child: ChildProcess) => (ended(child) ? Promise.resolve() : new Promise<void>((done) => child.once('exit', () => done())));

describe.each(ledgerKinds())(`two daemons on one $name ledger for ${SECONDS} s`, (kind) => {
  beforeAll(async () => {
    if (kind.unavailable) return;
    // Limits scaled up (with matching client pacing): this test is about slots and locks, not QuickBooks' batch budget.
    running = await startEmulators(['shopify', 'quickbooks'], { seed: 31, dataSize: 'small', rateScale: 10, ports: { shopify: 0, quickbooks: 0 } });
    // Slow answers: a run lasts long enough to be caught holding the lock.
    for (const e of running) await e.server.inject('PUT', '/__admin/faults', { latencyMs: 150 });
    cwd = tempDir('ferry-daemons-');
    store = await kind.store();
    const flows = join(cwd, 'flows');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(flows);
    const shipped = readFileSync(resolve(import.meta.dirname, `../../flows/${FLOW}.yaml`), 'utf8');
    writeFileSync(join(flows, `${FLOW}.yaml`), shipped.replace(/schedule: "[^"]+"/, `schedule: "*/${EVERY} * * * * *"`));
    const connections = Object.fromEntries(running.map((e) => [e.service, { connector: e.service, base_url: e.url, ...e.credentials }]));
    writeFileSync(join(cwd, 'base.json'), JSON.stringify({ flows, ledger: store.location, secrets_file: 'secrets.json', log: { file: 'LOG', level: 'info' }, connections }));
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await Promise.all((running ?? []).map((e) => e.close()));
  });

  it.skipIf(kind.unavailable !== undefined)('run each slot once, survive the SIGKILL of the lock holder, and sync every record once', { timeout: (SECONDS + 120) * 1000 }, async () => {
    const shop = running.find((e) => e.service === 'shopify')!;
    const daemons = new Map([['a', daemon('a')], ['b', daemon('b')]]);
    try {
      await scenario(shop, daemons, kind.name);
    } finally {
      for (const child of daemons.values()) if (!ended(child)) child.kill('SIGKILL');
    }
  });
});

async function scenario(shop: RunningEmulator, daemons: Map<string, ChildProcess>, ledger: string): Promise<void> {
  // The clock starts when a daemon has claimed its first slot: starting a process is slow on a busy machine.
  const booted = Date.now();
  const claims = async () => {
    try {
      return Number((await query<{ n: number }>(`SELECT COUNT(*) AS n FROM schedule_slots WHERE slot_key LIKE '${FLOW}:%'`))[0]!.n);
    } catch {
      return 0; // no ledger, or no schema, yet
    }
  };
  while ((await claims()) === 0) {
    if (Date.now() - booted > 60_000) throw new Error('no daemon claimed a slot within a minute');
    await sleep(100);
  }
  const started = Date.now();
  let killed: { pid: number; at: number } | undefined;
  let added = 0;
  while (Date.now() - started < SECONDS * 1000) {
    for (const [name, child] of daemons) if (ended(child) && child.pid !== killed?.pid) throw new Error(`daemon ${name} stopped on its own: ${readFileSync(join(cwd, `${name}.err`), 'utf8')}`);
    await shop.server.inject('POST', '/admin/api/2026-07/customers.json', { customer: { email: `new.${added}@example.com`, first_name: 'New', last_name: `Customer ${added++}` } });
    // From halfway on, kill whichever daemon holds the flow's lock, mid-run.
    if (!killed && Date.now() - started > (SECONDS * 1000) / 2) {
      const [lock] = await query<{ owner: string }>(`SELECT owner FROM locks WHERE name LIKE '%${FLOW}%' AND expires_at > ${Date.now()}`);
      const pid = lock ? Number(lock.owner.split(':')[1]) : undefined;
      const holder = [...daemons.values()].find((d) => d.pid === pid);
      if (holder) {
        holder.kill('SIGKILL');
        killed = { pid: pid!, at: Date.now() };
      }
    }
    await sleep(killed ? 300 : 40);
  }
  expect(killed, 'the lock holder was caught mid-run and killed').toBeDefined();
  const survivor = [...daemons.values()].find((d) => d.pid !== killed!.pid)!;
  survivor.kill('SIGTERM');
  await exit(survivor);

  const runs = await query<{ started_at: string; ended_at: string | null; status: string; message: string | null }>(`SELECT started_at, ended_at, status, message FROM runs WHERE flow = '${FLOW}' AND trigger = 'schedule' ORDER BY id`);
  const claimed = (await query<{ slot_key: string }>(`SELECT slot_key FROM schedule_slots WHERE slot_key LIKE '${FLOW}:%'`)).map((c) => Date.parse(c.slot_key.slice(FLOW.length + 1)));
  expect(claimed.length).toBeGreaterThanOrEqual(SECONDS / EVERY - 2);
  const slotOf = (at: number) => Math.floor(at / (EVERY * 1000));
  if (ledger === 'SQLite') {
    // Each daemon runs the slots it claims: no slot ran twice (the runs' start times fall in distinct
    // slots), and every claimed slot either started a run or found the flow still running.
    const slots = runs.map((r) => slotOf(Date.parse(r.started_at)));
    expect(new Set(slots).size, 'two runs in one slot').toBe(slots.length);
    for (const at of claimed) {
      const ran = slots.includes(slotOf(at));
      const busy = runs.some((r) => Date.parse(r.started_at) < at && (r.ended_at === null || Date.parse(r.ended_at) > at));
      expect(ran || busy, `slot ${new Date(at).toISOString()} neither ran nor found a run going`).toBe(true);
    }
  } else {
    // On PostgreSQL a claimed slot is a sweep job in the queue, run by whichever daemon takes it (a slot
    // whose sweep finds one already waiting joins it). The flow never ran twice at once, and it kept running.
    const ordered = [...runs].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
    for (let i = 1; i < ordered.length; i++) expect(Date.parse(ordered[i]!.started_at), 'two runs of the flow at once').toBeGreaterThanOrEqual(Date.parse(ordered[i - 1]!.ended_at ?? ordered[i]!.started_at));
    expect(runs.length).toBeGreaterThanOrEqual(claimed.length / 2);
  }

  // The killed run was closed as interrupted by the survivor, whose later runs resumed the work.
  expect(runs.filter((r) => r.status === 'failed' && /interrupted/.test(r.message ?? ''))).toHaveLength(1);
  // Through the queue a sweep waits for a poll (2 s) and sweeps coalesce, so on a loaded machine the
  // survivor may fit only one run in what is left of the test; the last run and count below show nothing was lost.
  expect(runs.filter((r) => Date.parse(r.started_at) > killed!.at).length).toBeGreaterThanOrEqual(ledger === 'SQLite' ? 2 : 1);

  // The next run settles anything the survivor's stop left in flight.
  const settle = spawn(process.execPath, [FERRY, 'run', FLOW, '--config', 'a.yaml', '--quiet'], { cwd, stdio: 'ignore' });
  expect(await new Promise((done) => settle.once('exit', done))).toBe(0);
  expect(Number((await query<{ n: number }>(`SELECT (SELECT COUNT(*) FROM records WHERE status = 'pending') + (SELECT COUNT(*) FROM write_intents) AS n`))[0]!.n)).toBe(0);

  // Every Shopify customer is in QuickBooks once (the last few may arrive after the last slot).
  const qbo = running.find((e) => e.service === 'quickbooks')!;
  const answer = (await qbo.server.inject('GET', `/v3/company/${qbo.credentials.realm_id}/query?query=${encodeURIComponent('select * from Customer MAXRESULTS 1000')}`)).body as { QueryResponse: { Customer: { PrimaryEmailAddr?: { Address: string } }[] } };
  const emails = answer.QueryResponse.Customer.map((c) => c.PrimaryEmailAddr?.Address);
  expect(new Set(emails).size).toBe(emails.length);
  const synced = Number((await query<{ n: number }>(`SELECT COUNT(*) AS n FROM records WHERE flow = '${FLOW}' AND status = 'synced'`))[0]!.n);
  expect(synced).toBe(added + 12);
  console.info(`two daemons on ${ledger}: ${runs.length} scheduled runs in ${claimed.length} slots over ${SECONDS} s; ${added} customers added, ${synced} synced; lock holder killed ${Math.round((killed!.at - started) / 1000)} s in`);
}
