import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import { generateBusiness } from '../../emulators/seed.js';

describe('seeded business', () => {
  let running: RunningEmulator[];
  const get = async (service: string, path: string, init: RequestInit = {}) => {
    const emulator = running.find((e) => e.service === service)!;
    const response = await emulator.server.inject(init.method ?? 'GET', path, init.body ? JSON.parse(String(init.body)) : undefined);
    return response.body as Record<string, unknown>;
  };

  beforeAll(async () => {
    running = await startEmulators(['shopify', 'hubspot', 'stripe', 'quickbooks'], { seed: 42, dataSize: 'small', ports: { shopify: 0, hubspot: 0, stripe: 0, quickbooks: 0 } });
  });
  afterAll(() => Promise.all(running.map((e) => e.close())));

  it('is the same for the same seed', () => {
    const a = generateBusiness(7, 'small');
    const b = generateBusiness(7, 'small');
    expect(a.catalog).toEqual(b.catalog);
    expect(a.customers).toEqual(b.customers);
    expect(generateBusiness(8, 'small').catalog).not.toEqual(a.catalog);
  });

  it('shares one catalog across Shopify, QuickBooks, Stripe and HubSpot', async () => {
    const business = generateBusiness(42, 'small');
    const skus = business.catalog.map((c) => c.sku).sort();
    const shopify = (await get('shopify', '/admin/api/2026-07/products.json?limit=250')) as { products: { variants: { sku: string }[] }[] };
    expect(shopify.products.map((p) => p.variants[0]!.sku).sort()).toEqual(skus);
    const qbo = (await get('quickbooks', `/v3/company/9130354850000000/query?query=${encodeURIComponent('select * from Item MAXRESULTS 1000')}`)) as { QueryResponse: { Item: { Sku: string }[] } };
    expect(qbo.QueryResponse.Item.map((i) => i.Sku).sort()).toEqual(skus);
    const stripe = (await get('stripe', '/v1/prices?limit=100')) as { data: { lookup_key: string }[] };
    expect(stripe.data.map((p) => p.lookup_key).sort()).toEqual(skus);
    const hubspot = (await get('hubspot', '/crm/v3/objects/products?limit=100&properties=hs_sku')) as { results: { properties: { hs_sku: string } }[] };
    expect(hubspot.results.map((p) => p.properties.hs_sku).sort()).toEqual(skus);
  });

  it('has Shopify orders of every kind the flows handle', async () => {
    const { orders } = (await get('shopify', '/admin/api/2026-07/orders.json?status=any&limit=250')) as { orders: { financial_status: string; refunds: unknown[]; tags: string }[] };
    expect(orders).toHaveLength(40);
    const statuses = new Set(orders.map((o) => o.financial_status));
    expect(statuses.has('paid')).toBe(true);
    expect(orders.some((o) => o.tags.includes('b2b'))).toBe(true);
    expect(orders.some((o) => o.refunds.length > 0)).toBe(true);
  });
});

describe('emulator state files', () => {
  it('a restarted emulator keeps its records and its OAuth grants', async () => {
    const { mkdtempSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'ferry-state-'));
    const ports = { shopify: 0, hubspot: 0, stripe: 0, quickbooks: 0 };
    const first = await startEmulators(['shopify', 'quickbooks'], { seed: 3, dataSize: 'small', stateDir: dir, ports });
    const qbo = first.find((e) => e.service === 'quickbooks')!;
    const token = await fetch(qbo.credentials.token_url!, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${qbo.credentials.client_id}:${qbo.credentials.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: qbo.credentials.refresh_token! }).toString(),
    });
    const { refresh_token: rotated } = (await token.json()) as { refresh_token: string };
    await (await first.find((e) => e.service === 'shopify')!).server.inject('POST', '/admin/api/2026-07/customers.json', { customer: { email: 'kept@shop.test' } });
    await Promise.all(first.map((e) => e.close()));
    expect(statSync(join(dir, 'quickbooks.json')).mode & 0o777).toBe(0o600);

    const second = await startEmulators(['shopify', 'quickbooks'], { seed: 3, dataSize: 'small', stateDir: dir, ports });
    try {
      const shop = second.find((e) => e.service === 'shopify')!;
      const found = (await shop.server.inject('GET', '/admin/api/2026-07/customers/search.json?query=email:kept@shop.test')).body as { customers: unknown[] };
      expect(found.customers).toHaveLength(1);
      const orders = (await shop.server.inject('GET', '/admin/api/2026-07/orders/count.json?status=any')).body as { count: number };
      expect(orders.count).toBe(40); // restored, not seeded a second time
      const q = second.find((e) => e.service === 'quickbooks')!;
      const again = await fetch(q.credentials.token_url!, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${q.credentials.client_id}:${q.credentials.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rotated }).toString(),
      });
      expect(again.status).toBe(200);
    } finally {
      await Promise.all(second.map((e) => e.close()));
    }
  });
});

describe('seeded Stripe account', () => {
  it('has invoices (most paid), standalone payments, declines and refunds', async () => {
    const running = await startEmulators(['stripe'], { seed: 42, dataSize: 'demo', ports: { stripe: 0 } });
    try {
      const get = async (path: string) => (await running[0]!.server.inject('GET', path)).body as { data: { status: string; amount_refunded?: number; invoice?: string }[] };
      const invoices = (await get('/v1/invoices?limit=100')).data;
      expect(invoices.length).toBeGreaterThan(0);
      expect(invoices.some((i) => i.status === 'paid')).toBe(true);
      expect(invoices.some((i) => i.status === 'open')).toBe(true);
      const charges = (await get('/v1/charges?limit=100')).data;
      expect(charges.some((c) => c.status === 'failed')).toBe(true);
      expect(charges.some((c) => (c.amount_refunded ?? 0) > 0)).toBe(true);
    } finally {
      await running[0]!.close();
    }
  });
});
