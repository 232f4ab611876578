import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { registry } from '../../connectors/registry.js';

describe('ferry emulate', () => {
  it('serves the named emulators, prints their URLs and credentials, and stops when told', async () => {
    const io = bufferIo();
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const running = main(['node', 'ferry', 'emulate', 'stripe', '--port', '0', '--seed', '5'], { io, until, registry });
    await expect.poll(() => io.stdout.length).toBeGreaterThan(0);
    const [, url, credentials, webhookSecret] = /^stripe\s+(http:\/\/127\.0\.0\.1:\d+)\s+secret_key=(\S+) webhook_secret=(\S+)$/.exec(io.stdout[0]!)!;
    expect(webhookSecret).toMatch(/^whsec_/);
    const response = await fetch(`${url}/v1/customers`, { headers: { authorization: `Bearer ${credentials}` } });
    expect(response.status).toBe(200);
    stop();
    expect(await running).toBe(0);
  });

  it('refuses unknown services and bad fault specs with exit 2', async () => {
    const io = bufferIo();
    expect(await main(['node', 'ferry', 'emulate', 'paypal'], { io, until: Promise.resolve(), registry })).toBe(2);
    expect(await main(['node', 'ferry', 'emulate', 'stripe', '--faults', '429=2'], { io, until: Promise.resolve(), registry })).toBe(2);
    expect(io.stderr).toEqual(['unknown service paypal (services: shopify, hubspot, stripe, quickbooks)', "--faults: fault share '2' must be between 0 and 1"]);
  });
});
