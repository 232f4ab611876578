import type { FaultPlan } from '../core/faults.js';
import { EmulatorServer } from '../core/server.js';
import { HubSpotEmulator, type Tier } from './server.js';

export const HUBSPOT_DEFAULTS = {
  accessToken: 'pat-na1-ferry-emulator-0000-0000-000000000000',
  portalId: 62515,
  // A public app's OAuth credentials; its client secret also signs webhooks (signature v3).
  oauth: { clientId: 'ferry-emulator-hubspot-client-id', clientSecret: 'ferry-emulator-hubspot-client-secret', refreshToken: 'na1-ferry-emulator-refresh-0000-000000000000' },
};

export interface RunningHubSpot {
  url: string;
  port: number;
  accessToken: string;
  portalId: number;
  oauth: { clientId: string; clientSecret: string; refreshToken: string };
  emulator: HubSpotEmulator;
  server: EmulatorServer;
  close(): Promise<void>;
}

export async function startHubSpot(options: { port?: number; seed?: number; faults?: FaultPlan; tier?: Tier; requestsPerTenSeconds?: number; requestsPerDay?: number; searchPerSecond?: number; ferryProperties?: boolean } = {}): Promise<RunningHubSpot> {
  const emulator = new HubSpotEmulator({ ...HUBSPOT_DEFAULTS, tier: options.tier, requestsPerTenSeconds: options.requestsPerTenSeconds, requestsPerDay: options.requestsPerDay, ferryProperties: options.ferryProperties, searchPerSecond: options.searchPerSecond });
  const server = new EmulatorServer(emulator.behaviour(), { seed: options.seed, faults: options.faults });
  const url = await server.listen(options.port ?? 0);
  return { url, port: Number(new URL(url).port), ...HUBSPOT_DEFAULTS, emulator, server, close: () => server.close() };
}
