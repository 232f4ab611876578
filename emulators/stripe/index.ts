import type { FaultPlan } from '../core/faults.js';
import { EmulatorServer } from '../core/server.js';
import { StripeEmulator, type StripeEmulatorOptions } from './server.js';

export const STRIPE_TEST_KEY = 'sk_test_ferry_emulator_0000000000000000';

export interface RunningStripe {
  url: string;
  port: number;
  secretKey: string;
  emulator: StripeEmulator;
  server: EmulatorServer;
  close(): Promise<void>;
}

export async function startStripe(options: { port?: number; seed?: number; faults?: FaultPlan; ratePerSecond?: number; secretKey?: string; restrictedKey?: StripeEmulatorOptions['restrictedKey'] } = {}): Promise<RunningStripe> {
  const secretKey = options.secretKey ?? STRIPE_TEST_KEY;
  const emulator = new StripeEmulator({ secretKey, seed: options.seed, ratePerSecond: options.ratePerSecond, restrictedKey: options.restrictedKey });
  const server = new EmulatorServer(emulator.behaviour(), { seed: options.seed, faults: options.faults });
  const url = await server.listen(options.port ?? 0);
  return { url, port: Number(new URL(url).port), secretKey, emulator, server, close: () => server.close() };
}
