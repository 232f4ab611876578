/**
 * Starting emulators by name, for `ferry emulate`, `ferry demo` and the end-to-end tests.
 * Default ports: 7301 Shopify, 7302 HubSpot, 7303 Stripe, 7304 QuickBooks.
 */
import type { FaultPlan } from './core/faults.js';
import type { EmulatorServer } from './core/server.js';
import { startHubSpot } from './hubspot/index.js';
import { startQuickBooks } from './quickbooks/index.js';
import { type Business, type DataSize, generateBusiness, seedHubSpot, seedQuickBooks, seedShopify, seedStripe } from './seed.js';
import { startShopify } from './shopify/index.js';
import { startStripe } from './stripe/index.js';

export const SERVICES = ['shopify', 'hubspot', 'stripe', 'quickbooks'] as const;
export type Service = (typeof SERVICES)[number];
export const DEFAULT_PORTS: Record<Service, number> = { shopify: 7301, hubspot: 7302, stripe: 7303, quickbooks: 7304 };

export interface RunningEmulator {
  service: Service;
  url: string;
  /** What a client needs to connect: printed by `ferry emulate`, written into config/emulators.yaml. */
  credentials: Record<string, string>;
  server: EmulatorServer;
  close(): Promise<void>;
}

export interface StartOptions {
  seed?: number;
  faults?: FaultPlan;
  /** Port of each service; 0 picks a free one. */
  ports?: Partial<Record<Service, number>>;
  /** Load a generated business of this size (none when absent). */
  dataSize?: DataSize;
}

type Started = RunningEmulator & { load(business: Business): Promise<void> };
type Starter = (port: number, options: StartOptions) => Promise<Started>;

const STARTERS: Record<Service, Starter> = {
  shopify: async (port, options) => {
    const r = await startShopify({ port, seed: options.seed, faults: options.faults });
    return { service: 'shopify', url: r.url, credentials: { shop: r.shop, access_token: r.accessToken }, server: r.server, close: r.close, load: (b) => seedShopify(r.server, b) };
  },
  hubspot: async (port, options) => {
    const r = await startHubSpot({ port, seed: options.seed, faults: options.faults });
    return { service: 'hubspot', url: r.url, credentials: { access_token: r.accessToken }, server: r.server, close: r.close, load: (b) => seedHubSpot(r.server, b) };
  },
  stripe: async (port, options) => {
    const r = await startStripe({ port, seed: options.seed, faults: options.faults });
    return { service: 'stripe', url: r.url, credentials: { secret_key: r.secretKey }, server: r.server, close: r.close, load: (b) => seedStripe(r.server, b) };
  },
  quickbooks: async (port, options) => {
    const r = await startQuickBooks({ port, seed: options.seed, faults: options.faults });
    const { realmId, clientId, clientSecret, refreshToken } = r.options;
    return {
      service: 'quickbooks',
      url: r.url,
      credentials: { realm_id: realmId, client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken, token_url: `${r.url}/oauth2/v1/tokens/bearer` },
      server: r.server,
      close: r.close,
      load: (b) => seedQuickBooks(r.server, b, realmId),
    };
  },
};

export async function startEmulators(services: Service[], options: StartOptions = {}): Promise<RunningEmulator[]> {
  const started: Started[] = [];
  try {
    for (const service of services) started.push(await STARTERS[service](options.ports?.[service] ?? DEFAULT_PORTS[service], options));
    if (options.dataSize) {
      // One business for all services, so SKUs and customers line up across them.
      const business = generateBusiness(options.seed ?? 1, options.dataSize);
      for (const emulator of started) await emulator.load(business);
    }
  } catch (error) {
    await Promise.all(started.map((e) => e.close()));
    throw error;
  }
  return started.map(({ load: _load, ...running }) => running);
}
