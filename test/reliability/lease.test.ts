/**
 * A daemon paused past its lock's lease (SIGSTOP, as a suspended VM or a stalled host would be) must not
 * write when it wakes while another process holds the flow. Daemon A reaches QuickBooks through a proxy
 * that records what A sends; it is stopped in the middle of a run, another `ferry run` takes the flow once
 * A's lease has run out, and A is continued while that run still holds the lock. From then on A sends no
 * write to QuickBooks; its run ends as having lost its lock, and every customer is booked once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, connect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../emulators/core/faults.js';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import { quickBooksQuery } from '../support/emulated-project.js';
import { FERRY_BIN, ferryProcess, ledgerCount } from '../support/ferry-process.js';
import { tempDir } from '../support/harness.js';

const FLOW = 'shopify-customers-to-quickbooks';
const LEASE_S = 3;
let running: RunningEmulator[];
let proxy: Server;
let cwd: string;
/** What daemon A sent to QuickBooks: each chunk with when it arrived, per connection. */
const sentByA: { connection: number; at: number; text: string }[] = [];

const quickbooks = () => running.find((e) => e.service === 'quickbooks')!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const writesIn = (chunks: { text: string }[]) => (chunks.map((c) => c.text).join('').match(/"operation"\s*:\s*"(create|update)"/g) ?? []).length;

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  running = await startEmulators(['shopify', 'quickbooks'], { seed: 41, dataSize: 'large', rateScale: 20, ports: { shopify: 0, quickbooks: 0 } });
  // Slow answers, so a run lasts long enough to be caught in the middle.
  await quickbooks().server.inject('PUT', '/__admin/faults', { ...NO_FAULTS, latencyMs: 250 });
  let connections = 0;
  proxy = createServer((client) => {
    const id = connections++;
    const upstream = connect(Number(new URL(quickbooks().url).port), '127.0.0.1');
    client.on('data', (chunk: Buffer) => sentByA.push({ connection: id, at: Date.now(), text: chunk.toString('utf8') }));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;

  cwd = tempDir('ferry-lease-');
  mkdirSync(join(cwd, 'flows'));
  writeFileSync(join(cwd, 'flows', `${FLOW}.yaml`), readFileSync(resolve(import.meta.dirname, `../../flows/${FLOW}.yaml`), 'utf8'));
  const config = (quickbooksUrl: string) => ({
    flows: 'flows',
    ledger: 'ledger.db',
    secrets_file: 'secrets.json',
    lock_lease: `${LEASE_S}s`,
    connections: Object.fromEntries(running.map((e) => [e.service, { connector: e.service, base_url: e.service === 'quickbooks' ? quickbooksUrl : e.url, ...e.credentials }])),
  });
  writeFileSync(join(cwd, 'a.yaml'), JSON.stringify(config(proxyUrl)));
  writeFileSync(join(cwd, 'ferry.yaml'), JSON.stringify(config(quickbooks().url)));
}, 120_000);
afterAll(async () => {
  proxy?.close();
  await Promise.all(running.map((e) => e.close()));
});

describe(`a daemon paused past its ${LEASE_S} s lease`, () => {
  it('writes nothing when it wakes while another process holds the flow', { timeout: 120_000 }, async () => {
    const a: ChildProcess = spawn(process.execPath, [FERRY_BIN, 'daemon', '--config', 'a.yaml', '--port', '0', '--run-now', '--grace', '5s', '--quiet'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let aErr = '';
    a.stderr!.on('data', (d: Buffer) => (aErr += d.toString()));
    try {
      // Caught in the middle of its run: it has sent writes, and has more to send.
      await until('daemon A has sent its first writes', () => writesIn(sentByA) >= 2, 60_000);
      a.kill('SIGSTOP');
      const stoppedAt = Date.now();
      // Quicker answers from now on, but slow enough that the other run still holds the flow when A wakes.
      await quickbooks().server.inject('PUT', '/__admin/faults', { ...NO_FAULTS, latencyMs: 40 });
      await sleep((LEASE_S + 1) * 1000);

      // Another process takes the flow (the lease has run out) and is still running when A wakes.
      const b = ferryProcess(cwd, ['run', FLOW]);
      await until('the other run holds the flow', () => ledgerCount(cwd, "SELECT COUNT(*) AS n FROM runs WHERE status = 'running' AND started_at > ?", new Date(stoppedAt).toISOString()) > 0);
      await sleep(500);
      const resumedAt = Date.now();
      a.kill('SIGCONT');
      const other = await b;
      expect(other.code, other.output).not.toBeNull();
      await sleep(1_000);

      const afterWake = sentByA.filter((c) => c.at >= resumedAt);
      expect(writesIn(afterWake), 'writes daemon A sent after it woke').toBe(0);
      const lost = ledgerCount(cwd, "SELECT COUNT(*) AS n FROM runs WHERE flow = ? AND message LIKE '%lost its lock%'", FLOW);
      expect(lost, `daemon A's run ends as having lost its lock\n${aErr}`).toBe(1);
    } finally {
      a.kill('SIGCONT');
      a.kill('SIGTERM');
      await new Promise((done) => (a.exitCode !== null || a.signalCode !== null ? done(undefined) : a.once('exit', done)));
    }

    // What A left in flight is settled by the next run: every customer once, nothing pending.
    await ferryProcess(cwd, ['run', FLOW]);
    const customers = await quickBooksQuery(quickbooks(), 'Customer');
    const emails = customers.map((c) => (c.PrimaryEmailAddr as { Address?: string } | undefined)?.Address).filter(Boolean);
    expect(new Set(emails).size).toBe(emails.length);
    expect(ledgerCount(cwd, "SELECT COUNT(*) AS n FROM records WHERE status = 'pending'")).toBe(0);
    console.info(`lease: daemon A sent ${writesIn(sentByA)} writes before its pause and none after; the other process took the flow after ${LEASE_S} s`);
  });
});
