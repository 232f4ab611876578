/**
 * Starting emulators by name, for `ferry emulate`, `ferry demo` and the end-to-end tests.
 * Default ports: 7301 Shopify, 7302 HubSpot, 7303 Stripe, 7304 QuickBooks.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultPlan } from './core/faults.js';
import type { EmulatorServer } from './core/server.js';
import { startHubSpot } from './hubspot/index.js';
import type { CompanySettings } from './quickbooks/books.js';
import { startQuickBooks } from './quickbooks/index.js';
import { type Business, type DataSize, generateBusiness, seedHubSpot, seedQuickBooks, seedShopify, seedStripe } from './seed.js';
import { startShopify } from './shopify/index.js';
import { startStripe } from './stripe/index.js';

export const SERVICES = ['shopify', 'hubspot', 'stripe', 'quickbooks'] as const;
export type Service = (typeof SERVICES)[number];
export const DEFAULT_PORTS: Record<Service, number> = { shopify: 7301, hubspot: 7302, stripe: 7303, quickbooks: 7304 };

/** The emulators' fixed webhook signing secrets (test values, like their credentials). */
export const WEBHOOK_SECRETS: Record<Service, string> = {
  shopify: 'ferry-emulator-shopify-webhook-secret',
  hubspot: 'ferry-emulator-hubspot-client-secret',
  stripe: 'whsec_ferryEmulatorStripeWebhookSecret',
  quickbooks: 'ferry-emulator-intuit-verifier-token',
};

export interface RunningEmulator {
  service: Service;
  url: string;
  /** What a client needs to connect: printed by `ferry emulate`, written into config/emulators.yaml. */
  credentials: Record<string, string>;
  server: EmulatorServer;
  /** Sends the service's webhooks to `url`, signed with its `credentials.webhook_secret`. */
  subscribeWebhooks(url: string): void;
  /** Writes the emulator's state to its file in `stateDir` (a no-op without one). */
  save(): void;
  /** Saves (when there is a state directory) and stops serving. */
  close(): Promise<void>;
}

export interface StartOptions {
  seed?: number;
  faults?: FaultPlan;
  /** Port of each service; 0 picks a free one. */
  ports?: Partial<Record<Service, number>>;
  /** Load a generated business of this size (none when absent), unless state is restored from `stateDir`. */
  dataSize?: DataSize;
  /** Directory of `<service>.json` state files: restored on start, written on save and close. */
  stateDir?: string;
  /**
   * Multiplies every vendor rate limit (1: the vendors' own). Tests of sync correctness over thousands of
   * records use more; the printed credentials carry matching client pacing options for the connectors.
   */
  rateScale?: number;
  /** How the emulated accounts are set up where it matters to Ferry (the demo's by default); several companies need their own realm ids. */
  quickbooks?: CompanySettings & { realmId?: string };
  hubspot?: { ferryProperties?: boolean };
  shopify?: { scopes?: string[] };
  stripe?: { restrictedKey?: { key: string; resources: string[] } };
}

interface Stateful {
  snapshot(): unknown;
  restore(state: unknown): void;
}

type Started = Omit<RunningEmulator, 'save'> & { load(business: Business): Promise<void>; state: Stateful };
type Starter = (port: number, options: StartOptions) => Promise<Started>;

const STARTERS: Record<Service, Starter> = {
  shopify: async (port, options) => {
    const scale = options.rateScale ?? 1;
    const r = await startShopify({ port, seed: options.seed, faults: options.faults, bucketSize: 40 * scale, leakPerSecond: 2 * scale, graphqlLimits: { maximumAvailable: 2_000 * scale, restoreRate: 100 * scale }, ...options.shopify });
    // A store of today: a Dev Dashboard app, whose token the connector buys with the client-credentials grant.
    return { service: 'shopify', url: r.url, credentials: { shop: r.shop, client_id: r.clientId, client_secret: r.clientSecret, webhook_secret: WEBHOOK_SECRETS.shopify }, server: r.server,
      subscribeWebhooks: (url) => void r.emulator.webhooks.push({ url, secret: WEBHOOK_SECRETS.shopify }), close: r.close, load: (b) => seedShopify(r.server, b), state: r.emulator };
  },
  hubspot: async (port, options) => {
    const scale = options.rateScale ?? 1;
    const r = await startHubSpot({ port, seed: options.seed, faults: options.faults, requestsPerTenSeconds: 190 * scale, searchPerSecond: 5 * scale, ...options.hubspot });
    return { service: 'hubspot', url: r.url, credentials: { access_token: r.accessToken, webhook_secret: WEBHOOK_SECRETS.hubspot, ...paced(scale, { requests_per_ten_seconds: 190 * scale, searches_per_second: 5 * scale }) }, server: r.server,
      subscribeWebhooks: (url) => void r.emulator.webhooks.push({ url, clientSecret: WEBHOOK_SECRETS.hubspot }), close: r.close, load: (b) => seedHubSpot(r.server, b), state: r.emulator };
  },
  stripe: async (port, options) => {
    const scale = options.rateScale ?? 1;
    const r = await startStripe({ port, seed: options.seed, faults: options.faults, ratePerSecond: 25 * scale, ...options.stripe });
    return { service: 'stripe', url: r.url, credentials: { secret_key: r.secretKey, webhook_secret: WEBHOOK_SECRETS.stripe, ...paced(scale, { requests_per_second: 25 * scale }) }, server: r.server,
      subscribeWebhooks: (url) => void r.emulator.webhooks.push({ url, secret: WEBHOOK_SECRETS.stripe }), close: r.close, load: (b) => seedStripe(r.server, b), state: r.emulator };
  },
  quickbooks: async (port, options) => {
    const scale = options.rateScale ?? 1;
    const r = await startQuickBooks({ port, seed: options.seed, faults: options.faults, requestsPerMinute: 500 * scale, requestsPerSecond: 10 * scale, batchesPerMinute: 40 * scale, ...options.quickbooks });
    const { realmId, clientId, clientSecret, refreshToken } = r.options;
    return {
      service: 'quickbooks',
      url: r.url,
      credentials: { realm_id: realmId, client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken, token_url: `${r.url}/oauth2/v1/tokens/bearer`, webhook_secret: WEBHOOK_SECRETS.quickbooks,
        ...paced(scale, { requests_per_minute: 500 * scale, requests_per_second: 10 * scale, batches_per_minute: 40 * scale }),
      },
      subscribeWebhooks: (url) => void r.emulator.webhooks.push({ url, verifierToken: WEBHOOK_SECRETS.quickbooks }),
      server: r.server,
      close: r.close,
      load: (b) => seedQuickBooks(r.server, b, realmId),
      state: r.emulator,
    };
  },
};

/** Client pacing options, only when the limits differ from the vendors' (the connectors default to those). */
function paced(scale: number, options: Record<string, number>): Record<string, string> {
  return scale === 1 ? {} : Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)]));
}

export async function startEmulators(services: Service[], options: StartOptions = {}): Promise<RunningEmulator[]> {
  const started: Started[] = [];
  try {
    for (const service of services) started.push(await STARTERS[service](options.ports?.[service] ?? DEFAULT_PORTS[service], options));
    const fresh = started.filter((e) => !restore(e, options.stateDir));
    if (options.dataSize && fresh.length) {
      // One business for all services, so SKUs and customers line up across them.
      const business = generateBusiness(options.seed ?? 1, options.dataSize);
      for (const emulator of fresh) await emulator.load(business);
    }
  } catch (error) {
    await Promise.all(started.map((e) => e.close()));
    throw error;
  }
  return started.map(({ load: _load, state, close, ...running }) => {
    const save = () => persist(running.service, state, options.stateDir);
    return { ...running, save, close: async () => (save(), close()) };
  });
}

function stateFile(service: Service, dir: string): string {
  return join(dir, `${service}.json`);
}

function restore(emulator: Started, dir: string | undefined): boolean {
  if (!dir || !existsSync(stateFile(emulator.service, dir))) return false;
  emulator.state.restore(JSON.parse(readFileSync(stateFile(emulator.service, dir), 'utf8')));
  return true;
}

/** Written to a temporary file and renamed, so a crash never leaves half a state file. */
function persist(service: Service, state: Stateful, dir: string | undefined): void {
  if (!dir) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = stateFile(service, dir);
  writeFileSync(`${file}.tmp`, JSON.stringify(state.snapshot()), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
