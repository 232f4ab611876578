import type { FaultPlan } from '../core/faults.js';
import { EmulatorServer } from '../core/server.js';
import { QuickBooksEmulator, type QuickBooksEmulatorOptions } from './server.js';

export const QBO_DEFAULTS = {
  realmId: '9130354850000000',
  clientId: 'ABferryEmulatorClientId000000000000000000000000',
  clientSecret: 'ferryEmulatorClientSecret0000000000000000',
  refreshToken: 'AB11ferryEmulatorRefreshToken00000000000000000000',
  accessToken: 'eyJ.emulator.initial-access-token-000000000000000000',
};

export interface RunningQuickBooks {
  url: string;
  port: number;
  options: QuickBooksEmulatorOptions;
  emulator: QuickBooksEmulator;
  server: EmulatorServer;
  close(): Promise<void>;
}

export async function startQuickBooks(options: { port?: number; seed?: number; faults?: FaultPlan } & Partial<QuickBooksEmulatorOptions> = {}): Promise<RunningQuickBooks> {
  const settings: QuickBooksEmulatorOptions = { ...QBO_DEFAULTS, ...options };
  const emulator = new QuickBooksEmulator(settings);
  const server = new EmulatorServer(emulator.behaviour(), { seed: options.seed, faults: options.faults });
  const url = await server.listen(options.port ?? 0);
  return { url, port: Number(new URL(url).port), options: settings, emulator, server, close: () => server.close() };
}
