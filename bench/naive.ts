/**
 * The baseline: what a person without Ferry would write to sync the same contacts into HubSpot, one
 * SDK call per record, in a loop, with the SDK's defaults. Run against the same rate-limited emulator
 * as Ferry's connector, so the two sit side by side in one table.
 */
import { Client } from '@hubspot/api-client';
import { startHubSpot } from '../emulators/hubspot/index.js';

export interface NaiveFigures {
  records: number;
  delivered: number;
  /** Records the script lost to errors it did not handle (429s, mostly). */
  lost: number;
  requests: number;
  requestsPerRecord: number;
  seconds: number;
}

export async function naiveHubspotCreates(records: number): Promise<NaiveFigures> {
  const emu = await startHubSpot({ requestsPerTenSeconds: 190 });
  try {
    const hubspot = new Client({ accessToken: emu.accessToken, basePath: emu.url });
    let delivered = 0;
    let lost = 0;
    const started = performance.now();
    for (let i = 0; i < records; i++) {
      try {
        await hubspot.crm.contacts.basicApi.create({ properties: { email: `c${i}@bench.test`, firstname: 'Bench' }, associations: [] });
        delivered++;
      } catch {
        lost++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const requests = emu.server.log.length;
    return { records, delivered, lost, requests, requestsPerRecord: requests / records, seconds };
  } finally {
    await emu.close();
  }
}
