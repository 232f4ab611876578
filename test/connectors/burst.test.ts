/**
 * A burst of writes against each rate-limited emulator, at the emulator's real limit: the connectors'
 * budgets keep the share of 429 answers under 1%. FERRY_HEAVY=1 sends 2,000 writes each; CI sends fewer
 * (the same limits, so the same pressure per second, for less wall time).
 */
import { describe, expect, it } from 'vitest';
import { hubspot } from '../../connectors/hubspot/index.js';
import { quickbooks } from '../../connectors/quickbooks/index.js';
import { stripe } from '../../connectors/stripe/index.js';
import type { ConnectorDeclaration, EntityDeclaration, WriteItem } from '../../src/connector/types.js';
import { startHubSpot } from '../../emulators/hubspot/index.js';
import { startQuickBooks } from '../../emulators/quickbooks/index.js';
import { startStripe } from '../../emulators/stripe/index.js';
import type { EmulatorServer } from '../../emulators/core/server.js';

const HEAVY = process.env.FERRY_HEAVY === '1';

async function burst(entity: EntityDeclaration<unknown>, client: unknown, items: WriteItem[]): Promise<number> {
  const size = entity.batchSize ?? 1;
  const batches: WriteItem[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  let ok = 0;
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      // Counted after the await: `ok += await …` would read `ok` before the other workers add to it.
      const results = await entity.write!(client, batch);
      ok += results.filter((r) => r.ok).length;
    }
  };
  await Promise.all(Array.from({ length: entity.concurrency ?? 1 }, worker));
  return ok;
}

function share429(server: EmulatorServer): number {
  const answered = server.log.filter((e) => e.status !== null);
  return answered.filter((e) => e.status === 429).length / Math.max(1, answered.length);
}

const open = (connector: ConnectorDeclaration, options: Record<string, unknown>, baseUrl: string) => connector.open({ name: connector.name, connector: connector.name, baseUrl, options }, {});

describe('write bursts under the vendors’ limits', () => {
  it(`Stripe: ${HEAVY ? 2000 : 150} customer creates at 25 requests a second`, { timeout: 180_000 }, async () => {
    const emu = await startStripe({ seed: 5 });
    try {
      const n = HEAVY ? 2_000 : 150;
      const client = await open(stripe, { secret_key: emu.secretKey }, emu.url);
      const items = Array.from({ length: n }, (_, i) => ({ sourceId: `b${i}`, idempotencyKey: `burst-${i}`, payload: { email: `b${i}@x.test` } }));
      expect(await burst(stripe.entities.customers as EntityDeclaration<unknown>, client, items)).toBe(n);
      expect(share429(emu.server)).toBeLessThan(0.01);
    } finally {
      await emu.close();
    }
  });

  it(`HubSpot: ${HEAVY ? 20_000 : 2_000} contact upserts at 100 requests per ten seconds`, { timeout: 180_000 }, async () => {
    const emu = await startHubSpot({ requestsPerTenSeconds: 100 });
    try {
      const n = HEAVY ? 20_000 : 2_000;
      const client = await open(hubspot, { access_token: emu.accessToken, requests_per_ten_seconds: 100 }, emu.url);
      const items = Array.from({ length: n }, (_, i) => ({ sourceId: `c${i}`, idempotencyKey: `k${i}`, match: { field: 'email', value: `c${i}@x.test` }, payload: { email: `c${i}@x.test`, firstname: 'B' } }));
      expect(await burst(hubspot.entities.contacts as EntityDeclaration<unknown>, client, items)).toBe(n);
      expect(share429(emu.server)).toBeLessThan(0.01);
    } finally {
      await emu.close();
    }
  });

  it(`QuickBooks: ${HEAVY ? 2000 : 300} customer creates through /batch at 40 batches a minute`, { timeout: 180_000 }, async () => {
    const emu = await startQuickBooks({ seed: 5 });
    try {
      const n = HEAVY ? 2_000 : 300;
      const client = await open(quickbooks, { realm_id: emu.options.realmId, client_id: emu.options.clientId, client_secret: emu.options.clientSecret, refresh_token: emu.options.refreshToken, access_token: emu.options.accessToken, token_url: `${emu.url}/oauth2/v1/tokens/bearer` }, emu.url);
      const items = Array.from({ length: n }, (_, i) => ({ sourceId: `q${i}`, idempotencyKey: `q${i}`, payload: { DisplayName: `Burst ${i}` } }));
      expect(await burst(quickbooks.entities.customers as EntityDeclaration<unknown>, client, items)).toBe(n);
      expect(share429(emu.server)).toBeLessThan(0.01);
    } finally {
      await emu.close();
    }
  });
});
