import type { FaultPlan } from '../core/faults.js';
import { EmulatorServer } from '../core/server.js';
import { ShopifyEmulator, type ShopifyEmulatorOptions } from './server.js';

/** A legacy custom app's fixed token, and a Dev Dashboard app's client id and secret (test values). */
export const SHOPIFY_DEFAULTS = { accessToken: 'shpat_ferry_emulator_00000000000000000000', shop: 'ferry-demo', clientId: 'ferry-emulator-client-id', clientSecret: 'shpss_ferry_emulator_client_secret_000000' };

export interface RunningShopify {
  url: string;
  port: number;
  accessToken: string;
  shop: string;
  clientId: string;
  clientSecret: string;
  emulator: ShopifyEmulator;
  server: EmulatorServer;
  close(): Promise<void>;
}

export async function startShopify(options: { port?: number; faults?: FaultPlan } & Partial<ShopifyEmulatorOptions> = {}): Promise<RunningShopify> {
  const { port, faults, ...settings } = options;
  const emulator = new ShopifyEmulator({ ...SHOPIFY_DEFAULTS, ...settings });
  const server = new EmulatorServer(emulator.behaviour(), { seed: options.seed, faults });
  const url = await server.listen(port ?? 0);
  return { url, port: Number(new URL(url).port), ...SHOPIFY_DEFAULTS, emulator, server, close: () => server.close() };
}
