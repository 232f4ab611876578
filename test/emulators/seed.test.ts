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
