import type { FaultPlan } from '../core/faults.js';
import { EmulatorServer } from '../core/server.js';
import { ShopifyEmulator } from './server.js';

export const SHOPIFY_DEFAULTS = { accessToken: 'shpat_ferry_emulator_00000000000000000000', shop: 'ferry-demo' };

export interface RunningShopify {
  url: string;
  port: number;
  accessToken: string;
  shop: string;
  emulator: ShopifyEmulator;
  server: EmulatorServer;
  close(): Promise<void>;
}

export async function startShopify(options: { port?: number; seed?: number; faults?: FaultPlan; bucketSize?: number; leakPerSecond?: number } = {}): Promise<RunningShopify> {
  const emulator = new ShopifyEmulator({ ...SHOPIFY_DEFAULTS, seed: options.seed, bucketSize: options.bucketSize, leakPerSecond: options.leakPerSecond });
  const server = new EmulatorServer(emulator.behaviour(), { seed: options.seed, faults: options.faults });
  const url = await server.listen(options.port ?? 0);
  return { url, port: Number(new URL(url).port), ...SHOPIFY_DEFAULTS, emulator, server, close: () => server.close() };
}
