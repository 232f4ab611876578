/**
 * Runs that could collide: two daemons on one ledger, and a webhook for a record that a sweep is
 * writing at the same moment. The emulators answer slowly so the runs really overlap in time.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../connectors/registry.js';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import type { ConnectionSettings } from '../../src/connector/types.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { Connections } from '../../src/engine/connections.js';
import type { RunResult } from '../../src/engine/runner.js';
import { listFlowFiles, loadFlowFiles } from '../../src/flow/load.js';
import type { Flow } from '../../src/flow/types.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../support/harness.js';

const FLOW = 'shopify-customers-to-quickbooks';
let running: RunningEmulator[];
let settings: Map<string, ConnectionSettings>;
let flow: Flow;

beforeAll(async () => {
  running = await startEmulators(['shopify', 'quickbooks'], { seed: 9, dataSize: 'small', ports: { shopify: 0, quickbooks: 0 } });
  settings = new Map(running.map((e) => [e.service, { name: e.service, connector: e.service, baseUrl: e.url, options: { ...e.credentials } }]));
  const { flows, diagnostics } = loadFlowFiles(listFlowFiles(resolve(import.meta.dirname, '../../flows')), registry);
  expect(diagnostics).toEqual([]);
  flow = flows.find((f) => f.name === FLOW)!;
  // Slow answers, so every run lasts long enough for the other contender to arrive mid-run.
  for (const e of running) await e.server.inject('PUT', '/__admin/faults', { latencyMs: 40 });
});
afterAll(() => Promise.all(running.map((e) => e.close())));

/** Stands in for the secrets file both daemons share: QuickBooks rotates the refresh token on use. */
const secrets = new Map<string, string>();
const secretStore = {
  saveSecret: async (connection: string, key: string, value: string) => void secrets.set(`${connection}/${key}`, value),
  loadSecret: async (connection: string, key: string) => secrets.get(`${connection}/${key}`),
};
const triggers = new WeakMap<RunResult, string>();

function daemonOn(ledgerFile: string, ended: RunResult[]) {
  const ledger = new SqliteLedger(ledgerFile);
  const connections = new Connections(registry, settings, secretStore);
  const daemon = new Daemon({
    flows: [flow],
    ledger,
    connections,
    connectionSettings: settings,
    registry,
    logger: silentLogger,
    alerts: new Map(),
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1_048_576,
    onRunEnded: (_flow, trigger, result) => {
      triggers.set(result, trigger);
      ended.push(result);
    },
  });
  return { daemon, ledger, close: async () => (await daemon.stop(5_000), await connections.close(), await ledger.close()) };
}

async function qboCustomerEmails(): Promise<string[]> {
  const qbo = running.find((e) => e.service === 'quickbooks')!;
  const query = encodeURIComponent('select * from Customer MAXRESULTS 1000');
  const answer = (await qbo.server.inject('GET', `/v3/company/${qbo.credentials.realm_id}/query?query=${query}`)).body as { QueryResponse: { Customer?: { PrimaryEmailAddr?: { Address: string } }[] } };
  return (answer.QueryResponse.Customer ?? []).map((c) => c.PrimaryEmailAddr?.Address ?? '');
}

describe('runs that could collide', () => {
  it('two daemons on one ledger never run the same flow at once', async () => {
    const file = join(tempDir(), 'ledger.db');
    const endedA: RunResult[] = [];
    const endedB: RunResult[] = [];
    const a = daemonOn(file, endedA);
    const b = daemonOn(file, endedB);
    try {
      // The same cron tick fires in both daemons.
      await Promise.all([a.daemon.runNow([flow]), b.daemon.runNow([flow])]);
      const runs = await a.ledger.listRuns({ flow: FLOW });
      expect(runs).toHaveLength(1);
      expect(endedA.length + endedB.length).toBe(1);
      expect(runs[0]!.counts.created + runs[0]!.counts.updated).toBeGreaterThan(0);

      // Once the first has finished, the other daemon's next tick runs (and finds nothing to write).
      await b.daemon.runNow([flow]);
      const after = await a.ledger.listRuns({ flow: FLOW });
      expect(after).toHaveLength(2);
      expect(after[0]!.counts).toMatchObject({ created: 0, updated: 0 });
      const emails = await qboCustomerEmails();
      expect(new Set(emails).size).toBe(emails.length);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a webhook for a record a sweep is writing does not create it twice', async () => {
    const file = join(tempDir(), 'ledger.db');
    const ended: RunResult[] = [];
    const d = daemonOn(file, ended);
    const url = await d.daemon.start();
    const shop = running.find((e) => e.service === 'shopify')!;
    shop.subscribeWebhooks(`${url}/webhooks/shopify`);
    try {
      const created = (await shop.server.inject('POST', '/admin/api/2026-07/customers.json', { customer: { email: 'racer@shop.test', first_name: 'Ra', last_name: 'Cer' } })).body as { customer: { id: number } };
      // The sweep starts while the webhook for the same customer is in flight.
      await d.daemon.runNow([flow]);
      const idle = async () => {
        const health = (await (await fetch(`${url}/healthz`)).json()) as { flows: { running: boolean; queuedRecords: number }[] };
        return health.flows.every((f) => !f.running && f.queuedRecords === 0);
      };
      const webhookRuns = () => ended.filter((r) => r.status && triggers.get(r) === 'webhook').length;
      const deadline = Date.now() + 15_000;
      while (!(webhookRuns() > 0 && (await idle())) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(webhookRuns()).toBeGreaterThan(0);
      const emails = (await qboCustomerEmails()).filter((e) => e === 'racer@shop.test');
      expect(emails).toEqual(['racer@shop.test']);
      const [record] = await d.ledger.getRecords(FLOW, [String(created.customer.id)]);
      expect(record?.status).toBe('synced');
      const creations = (await d.ledger.events(FLOW, String(created.customer.id))).filter((e) => e.kind === 'created');
      expect(creations).toHaveLength(1);
    } finally {
      await d.close();
    }
  });
});
