/**
 * The webhook receiver over HTTP, for every vendor: a valid delivery is accepted, a bad signature is
 * 401, a stale one is refused, an oversized body is 413, and a duplicate delivery is processed once.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Signature } from '@hubspot/api-client';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../connectors/registry.js';
import type { ConnectionSettings, WebhookEvent } from '../../src/connector/types.js';
import { WEBHOOK_PATH, WebhookReceiver } from '../../src/daemon/webhook-receiver.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../support/harness.js';

const SECRET = 'receiver-test-secret';
const connections = new Map<string, ConnectionSettings>(
  ['shopify', 'hubspot', 'stripe', 'quickbooks'].map((c) => [c, { name: c, connector: c, options: { webhook_secret: SECRET } }]),
);
const received: { connection: string; events: WebhookEvent[] }[] = [];
let server: Server;
let base: string;
let ledger: SqliteLedger;

beforeAll(async () => {
  ledger = new SqliteLedger(join(tempDir(), 'ledger.db'));
  const receiver = new WebhookReceiver({ registry, connections, ledger, logger: silentLogger, maxBodyBytes: 4096, onEvents: (connection, events) => void received.push({ connection, events }) });
  server = createServer((req, res) => void receiver.handle(req, res, WEBHOOK_PATH.exec(req.url ?? '')?.[1] ?? ''));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await ledger.close();
});

interface Signed {
  body: string;
  headers: Record<string, string>;
}

/** Per vendor: a signed delivery at a given time, with a delivery id. */
const vendors: Record<string, { sign(id: string, at: Date): Signed; stale: Date; entity: string }> = {
  shopify: {
    sign: (id, at) => {
      const body = JSON.stringify({ id: 501, email: 'a@shop.test' });
      return {
        body,
        headers: {
          'x-shopify-topic': 'customers/update',
          'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64'),
          'x-shopify-webhook-id': id,
          'x-shopify-triggered-at': at.toISOString(),
        },
      };
    },
    stale: new Date(Date.now() - 49 * 3_600_000),
    entity: 'customers',
  },
  hubspot: {
    sign: (id, at) => {
      const body = JSON.stringify([{ eventId: Number(id.replace(/\D/g, '')) || 1, subscriptionType: 'deal.propertyChange', objectId: 42 }]);
      const timestamp = at.getTime();
      const signature = Signature.getSignature('POST', 'v3', { signature: '', clientSecret: SECRET, requestBody: body, url: `${base}/webhooks/hubspot`, timestamp });
      return { body, headers: { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) } };
    },
    stale: new Date(Date.now() - 6 * 60_000),
    entity: 'deals',
  },
  stripe: {
    sign: (id, at) => {
      const body = JSON.stringify({ id: `evt_${id}`, type: 'invoice.paid', data: { object: { id: 'in_7', object: 'invoice' } } });
      const header = new Stripe('sk_test_x').webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: Math.floor(at.getTime() / 1000) });
      return { body, headers: { 'stripe-signature': header } };
    },
    stale: new Date(Date.now() - 6 * 60_000),
    entity: 'invoices',
  },
  quickbooks: {
    sign: (id, at) => {
      const body = JSON.stringify({ eventNotifications: [{ realmId: '1', dataChangeEvent: { entities: [{ name: 'Invoice', id, operation: 'Update', lastUpdated: at.toISOString() }] } }] });
      return { body, headers: { 'intuit-signature': createHmac('sha256', SECRET).update(body).digest('base64') } };
    },
    stale: new Date(Date.now() - 25 * 3_600_000),
    entity: 'invoices',
  },
};

const post = (connection: string, signed: Signed) =>
  fetch(`${base}/webhooks/${connection}`, { method: 'POST', headers: { 'content-type': 'application/json', ...signed.headers }, body: signed.body });

describe.each(Object.keys(vendors))('%s webhooks', (connection) => {
  const vendor = vendors[connection]!;

  it('accepts a valid delivery and processes a duplicate delivery once', async () => {
    const before = received.length;
    const signed = vendor.sign('1001', new Date());
    const first = await post(connection, signed);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ accepted: 1, duplicates: 0 });
    const again = await post(connection, signed);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 1 });
    const mine = received.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ connection, events: [{ entity: vendor.entity }] });
  });

  it('refuses a bad signature with 401', async () => {
    const signed = vendor.sign('1002', new Date());
    const tampered = { ...signed, body: signed.body.replace(/1002|501|42|in_7/, '999') };
    expect((await post(connection, tampered)).status).toBe(401);
    expect((await post(connection, { body: signed.body, headers: {} })).status).toBe(401);
  });

  it('refuses a stale delivery', async () => {
    const response = await post(connection, vendor.sign('1003', vendor.stale));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/older|outside|replay/i);
  });

  it('refuses an oversized body with 413', async () => {
    const big = { body: JSON.stringify({ padding: 'x'.repeat(5000) }), headers: {} };
    expect((await post(connection, big)).status).toBe(413);
  });
});

describe('webhook endpoints', () => {
  it('has none for a connection without a webhook secret, and only accepts POST', async () => {
    expect((await fetch(`${base}/webhooks/unknown`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${base}/webhooks/shopify`)).status).toBe(405);
  });
});
