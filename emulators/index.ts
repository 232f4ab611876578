/**
 * Starting emulators by name, for `ferry emulate`, `ferry demo` and the end-to-end tests.
 * Default ports: 7301 Shopify, 7302 HubSpot, 7303 Stripe, 7304 QuickBooks.
 */
import type { FaultPlan } from './core/faults.js';
import { startHubSpot } from './hubspot/index.js';
import { startQuickBooks } from './quickbooks/index.js';
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
  close(): Promise<void>;
}

export interface StartOptions {
  seed?: number;
  faults?: FaultPlan;
  /** Port of each service; 0 picks a free one. */
  ports?: Partial<Record<Service, number>>;
}

type Starter = (port: number, options: StartOptions) => Promise<RunningEmulator>;

const STARTERS: Partial<Record<Service, Starter>> = {
  shopify: async (port, options) => {
    const running = await startShopify({ port, seed: options.seed, faults: options.faults });
    return { service: 'shopify', url: running.url, credentials: { shop: running.shop, access_token: running.accessToken }, close: running.close };
  },
  hubspot: async (port, options) => {
    const running = await startHubSpot({ port, seed: options.seed, faults: options.faults });
    return { service: 'hubspot', url: running.url, credentials: { access_token: running.accessToken }, close: running.close };
  },
  stripe: async (port, options) => {
    const running = await startStripe({ port, seed: options.seed, faults: options.faults });
    return { service: 'stripe', url: running.url, credentials: { secret_key: running.secretKey }, close: running.close };
  },
  quickbooks: async (port, options) => {
    const running = await startQuickBooks({ port, seed: options.seed, faults: options.faults });
    const { realmId, clientId, clientSecret, refreshToken } = running.options;
    return {
      service: 'quickbooks',
      url: running.url,
      credentials: { realm_id: realmId, client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken, token_url: `${running.url}/oauth2/v1/tokens/bearer` },
      close: running.close,
    };
  },
};

export function availableServices(): Service[] {
  return SERVICES.filter((s) => STARTERS[s]);
}

export async function startEmulators(services: Service[], options: StartOptions = {}): Promise<RunningEmulator[]> {
  const missing = services.filter((s) => !STARTERS[s]);
  if (missing.length) throw new Error(`no emulator for ${missing.join(', ')} yet (available: ${availableServices().join(', ')})`);
  const started: RunningEmulator[] = [];
  try {
    for (const service of services) started.push(await STARTERS[service]!(options.ports?.[service] ?? DEFAULT_PORTS[service], options));
  } catch (error) {
    await Promise.all(started.map((e) => e.close()));
    throw error;
  }
  return started;
}
