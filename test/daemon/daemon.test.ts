/**
 * The daemon end to end, in process: the Shopify and QuickBooks emulators over HTTP, `ferry daemon`
 * through the CLI, webhooks signed by the emulator, the shipped customers flow.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { registry } from '../../connectors/registry.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { ledgerKinds } from '../support/ledger-stores.js';
import { startReceiver } from '../support/webhook-receiver.js';

const FLOW = 'shopify-customers-to-quickbooks';
let running: RunningEmulator[];
let cwd: string;
let shop: RunningEmulator;
let qbo: RunningEmulator;

beforeAll(async () => {
  running = await startEmulators(['shopify', 'quickbooks'], { seed: 5, dataSize: 'small', ports: { shopify: 0, quickbooks: 0 } });
  shop = running.find((e) => e.service === 'shopify')!;
  qbo = running.find((e) => e.service === 'quickbooks')!;
  cwd = mkdtempSync(join(tmpdir(), 'ferry-daemon-'));
  const config = {
    flows: resolve(import.meta.dirname, '../../flows'),
    ledger: 'ledger.db',
    connections: {
      shopify: { connector: 'shopify', base_url: shop.url, ...shop.credentials },
      quickbooks: { connector: 'quickbooks', base_url: qbo.url, ...qbo.credentials },
    },
  };
  writeFileSync(join(cwd, 'ferry.yaml'), JSON.stringify(config));
});
afterAll(() => Promise.all(running.map((e) => e.close())));

/** Starts `ferry daemon` in process; `stop()` plays the part of SIGTERM. */
function startDaemon(...extra: string[]) {
  return startDaemonWith('ferry.yaml', ...extra);
}

async function startDaemonWith(configFile: string, ...extra: string[]) {
  const io = bufferIo();
  let stop!: () => void;
  const until = new Promise<void>((r) => (stop = r));
  let listening!: (url: string) => void;
  const url = new Promise<string>((r) => (listening = r));
  const exit = main(['node', 'ferry', '--config', configFile, '--quiet', 'daemon', '--port', '0', '--grace', '5s', ...extra], { io, cwd, until, onListening: listening, registry });
  return { io, url: await Promise.race([url, exit.then((code) => Promise.reject(new Error(`daemon exited ${code}: ${io.stderr.join('\n')}`)))]), stop: () => (stop(), exit) };
}

async function qboCustomersByEmail(email: string): Promise<unknown[]> {
  const query = encodeURIComponent(`select * from Customer where PrimaryEmailAddr = '${email}'`);
  const answer = (await qbo.server.inject('GET', `/v3/company/${qbo.credentials.realm_id}/query?query=${query}`)).body as { QueryResponse: { Customer?: unknown[] } };
  return answer.QueryResponse.Customer ?? [];
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('ferry daemon', () => {
  it('syncs a record a webhook names, ignores the redelivery, and serves metrics and health', async () => {
    const daemon = await startDaemon('--run-now');
    try {
      const ledger = new SqliteLedger(join(cwd, 'ledger.db'));
      // --run-now sweeps the flows in dependency order first.
      await eventually(async () => (await ledger.listRuns({ flow: FLOW })).some((r) => r.status !== 'running'));

      shop.subscribeWebhooks(`${daemon.url}/webhooks/shopify`);
      await shop.server.inject('POST', '/admin/api/2026-07/customers.json', { customer: { email: 'webhook.buyer@shop.test', first_name: 'Web', last_name: 'Hook' } });
      // The webhook run records its outcome just after the write lands.
      await eventually(async () => (await ledger.listRuns({ flow: FLOW })).some((r) => r.trigger === 'webhook' && r.counts.created === 1));
      expect(await qboCustomersByEmail('webhook.buyer@shop.test')).toHaveLength(1);

      // Shopify delivers the same event twice (same X-Shopify-Webhook-Id): the second is acknowledged and ignored.
      const capture = await startReceiver();
      shop.subscribeWebhooks(capture.url);
      await shop.server.inject('POST', '/admin/api/2026-07/customers.json', { customer: { email: 'twice@shop.test', first_name: 'Twice', last_name: 'Sent' } });
      await eventually(async () => capture.received.length > 0);
      await eventually(async () => (await qboCustomersByEmail('twice@shop.test')).length > 0);
      const delivery = capture.received[0]!;
      const headers = Object.fromEntries(Object.entries(delivery.headers).filter(([k]) => k.startsWith('x-shopify-')).map(([k, v]) => [k, String(v)]));
      const redeliver = () => fetch(`${daemon.url}/webhooks/shopify`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: delivery.body });
      expect(await (await redeliver()).json()).toEqual({ accepted: 1, duplicates: 0 });
      expect(await (await redeliver()).json()).toEqual({ accepted: 0, duplicates: 1 });
      await capture.close();
      expect(await qboCustomersByEmail('webhook.buyer@shop.test')).toHaveLength(1);
      expect(await qboCustomersByEmail('twice@shop.test')).toHaveLength(1);

      const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`ferry_records_total\\{flow="${FLOW}",outcome="created"\\} [1-9]`));
      expect(metrics).toMatch(/ferry_webhook_deliveries_total\{connection="shopify",result="duplicate"\} 1/);
      expect(metrics).toMatch(new RegExp(`ferry_dead_letter_records\\{flow="${FLOW}"\\} 0`));
      expect(metrics).toMatch(/ferry_run_duration_seconds_count/);
      const health = (await (await fetch(`${daemon.url}/healthz`)).json()) as { status: string; flows: { flow: string }[] };
      expect(health.status).toBe('ok');
      expect(health.flows.map((f) => f.flow)).toContain(FLOW);
      await ledger.close();
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
    expect(daemon.io.stdout.join('\n')).toContain('stopped cleanly');
  });

  it('answers unsigned, mis-signed and oversized webhooks with 401 and 413, and unknown connections with 404', async () => {
    const daemon = await startDaemon();
    try {
      const body = JSON.stringify({ id: 1, email: 'x@shop.test' });
      const post = (path: string, headers: Record<string, string>, payload = body) => fetch(`${daemon.url}${path}`, { method: 'POST', headers, body: payload });
      expect((await post('/webhooks/shopify', { 'x-shopify-topic': 'customers/create' })).status).toBe(401);
      expect((await post('/webhooks/shopify', { 'x-shopify-topic': 'customers/create', 'x-shopify-hmac-sha256': 'bm90IGl0' })).status).toBe(401);
      expect((await post('/webhooks/shopify', {}, 'x'.repeat(1_048_577))).status).toBe(413);
      // The QuickBooks connection in this config has a secret too; a connection that does not exist has no endpoint.
      expect((await post('/webhooks/nowhere', {})).status).toBe(404);
    } finally {
      await daemon.stop();
    }
  });

  it('keeps /metrics bounded whatever paths are posted to, and answers a signed but malformed body plainly', async () => {
    const daemon = await startDaemon();
    try {
      const before = (await (await fetch(`${daemon.url}/metrics`)).text()).length;
      for (let i = 0; i < 300; i++) await fetch(`${daemon.url}/webhooks/random${i}`, { method: 'POST', body: '{}' });
      const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
      expect(metrics).not.toContain('random1');
      expect(metrics).toContain('ferry_webhook_deliveries_total{connection="(unknown)",result="rejected"} 300');
      expect(metrics.length - before).toBeLessThan(1_000);

      // Signed with the right secret, but not a Shopify payload at all.
      const body = 'null';
      const signature = createHmac('sha256', shop.credentials.webhook_secret!).update(body).digest('base64');
      const answer = await fetch(`${daemon.url}/webhooks/shopify`, { method: 'POST', headers: { 'x-shopify-topic': 'customers/create', 'x-shopify-hmac-sha256': signature, 'x-shopify-webhook-id': 'w-1' }, body });
      expect(answer.status).toBe(400);
      const text = await answer.text();
      expect(JSON.parse(text)).toEqual({ error: 'the body is not a shopify webhook delivery this endpoint understands' });
    } finally {
      await daemon.stop();
    }
  });

  it('answers /healthz with 503 while stopping, and webhooks with 503 so the vendor delivers again', async () => {
    // Slow services keep a run in flight while the daemon stops, whichever step it is at.
    for (const service of [qbo, shop]) await service.server.inject('PUT', '/__admin/faults', { latencyMs: 1_500 });
    const daemon = await startDaemon('--run-now');
    try {
      await eventually(async () => ((await (await fetch(`${daemon.url}/healthz`)).json()) as { flows: { running: boolean }[] }).flows.some((f) => f.running));
      const stopped = daemon.stop();
      await new Promise((r) => setTimeout(r, 100));
      const health = await fetch(`${daemon.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'stopping' });
      expect((await fetch(`${daemon.url}/webhooks/shopify`, { method: 'POST', body: '{}' })).status).toBe(503);
      expect(await stopped).toBe(0);
    } finally {
      for (const service of [qbo, shop]) await service.server.inject('PUT', '/__admin/faults', {});
    }
  });


  it('serves the sync-info page at /: on loopback to anyone on the machine, beyond it only with the bearer token', async () => {
    const local = await startDaemon();
    try {
      const page = await fetch(`${local.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await page.text();
      expect(html).toContain('<h1>Ferry sync-info</h1>');
      expect(html).toContain(`data-flow="${FLOW}"`);
      expect(html).toContain('<meta http-equiv="refresh" content="30">');
      expect((await fetch(`${local.url}/`, { method: 'POST' })).status).toBe(405);
    } finally {
      await local.stop();
    }

    // Bound to every address without a token: no page at all.
    const open = await startDaemon('--host', '0.0.0.0');
    try {
      const refused = await fetch(open.url.replace('0.0.0.0', '127.0.0.1') + '/');
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('set daemon.page_token');
    } finally {
      await open.stop();
    }

    const config = JSON.parse((await import('node:fs')).readFileSync(join(cwd, 'ferry.yaml'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(cwd, 'public.yaml'), JSON.stringify({ ...config, daemon: { page_token: '${FERRY_TEST_PAGE_TOKEN}' } }));
    process.env.FERRY_TEST_PAGE_TOKEN = 'a-long-page-token-for-reviewers';
    const guarded = await startDaemonWith('public.yaml', '--host', '0.0.0.0');
    try {
      const url = guarded.url.replace('0.0.0.0', '127.0.0.1') + '/';
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="ferry"');
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
      const shown = await fetch(url, { headers: { authorization: 'Bearer a-long-page-token-for-reviewers' } });
      expect(shown.status).toBe(200);
      expect(await shown.text()).toContain('<h1>Ferry sync-info</h1>');
    } finally {
      delete process.env.FERRY_TEST_PAGE_TOKEN;
      await guarded.stop();
    }
  });

  it.skipIf(ledgerKinds().find((k) => k.name === 'PostgreSQL')!.unavailable !== undefined)('on a PostgreSQL ledger, a webhook received by one daemon is a job any daemon may run, and each is run once', async () => {
    const store = await ledgerKinds().find((k) => k.name === 'PostgreSQL')!.store();
    const config = JSON.parse(readFileSync(join(cwd, 'ferry.yaml'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(cwd, 'shared.yaml'), JSON.stringify({ ...config, ledger: store.location }));
    const a = await startDaemonWith('shared.yaml');
    const b = await startDaemonWith('shared.yaml');
    try {
      shop.subscribeWebhooks(`${b.url}/webhooks/shopify`);
      for (const n of [1, 2, 3]) await shop.server.inject('POST', '/admin/api/2026-07/customers.json', { customer: { email: `queued.${n}@shop.test`, first_name: 'Queued', last_name: `Buyer ${n}` } });
      const jobs = async () => (await store.sql(`SELECT state, COUNT(*)::int AS n FROM ferry_queue.job WHERE name = 'ferry.${FLOW}.records' GROUP BY state`)).map((r) => [String(r.state), Number(r.n)]);
      await eventually(async () => (await jobs()).some(([state, n]) => state === 'completed' && Number(n) >= 3));
      for (const n of [1, 2, 3]) await eventually(async () => (await qboCustomersByEmail(`queued.${n}@shop.test`)).length === 1);
      expect(await jobs()).toEqual([['completed', 3]]);
    } finally {
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
      await store.close();
    }
    for (const n of [1, 2, 3]) expect(await qboCustomersByEmail(`queued.${n}@shop.test`)).toHaveLength(1);
  });
});
