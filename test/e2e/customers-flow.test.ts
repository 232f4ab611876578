/**
 * End to end, as a user runs it: the emulators serving over HTTP, a config file pointing at them,
 * `ferry run` with a shipped flow and the real connectors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { registry } from '../../connectors/registry.js';

let running: RunningEmulator[];
let cwd: string;

async function ferry(...args: string[]) {
  const io = bufferIo();
  const code = await main(['node', 'ferry', ...args], { io, cwd, registry });
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

beforeAll(async () => {
  running = await startEmulators(['shopify', 'quickbooks'], { seed: 11, dataSize: 'small', ports: { shopify: 0, quickbooks: 0 } });
  const shop = running.find((e) => e.service === 'shopify')!;
  const qbo = running.find((e) => e.service === 'quickbooks')!;
  cwd = mkdtempSync(join(tmpdir(), 'ferry-e2e-'));
  const config = {
    flows: resolve(import.meta.dirname, '../../flows'),
    connections: {
      shopify: { connector: 'shopify', base_url: shop.url, ...shop.credentials },
      quickbooks: { connector: 'quickbooks', base_url: qbo.url, ...qbo.credentials },
    },
  };
  writeFileSync(join(cwd, 'ferry.json.yaml'), JSON.stringify(config));
});
afterAll(() => Promise.all(running.map((e) => e.close())));

describe('shopify-customers-to-quickbooks, end to end', () => {
  it('creates or matches every customer once, then writes nothing on a re-run', async () => {
    const first = await ferry('--config', 'ferry.json.yaml', 'run', 'shopify-customers-to-quickbooks', '--json');
    expect(first.err).toBe('');
    const [run] = JSON.parse(first.out).runs as { status: string; counts: Record<string, number> }[];
    expect(run!.status).toBe('succeeded');
    expect(run!.counts.read).toBe(12);
    expect(run!.counts.created + run!.counts.updated).toBe(12);

    const qbo = running.find((e) => e.service === 'quickbooks')!;
    const answer = (await qbo.server.inject('GET', `/v3/company/${qbo.credentials.realm_id}/query?query=${encodeURIComponent('select * from Customer MAXRESULTS 1000')}`)).body as {
      QueryResponse: { Customer: { PrimaryEmailAddr?: { Address: string } }[] };
    };
    const emails = answer.QueryResponse.Customer.map((c) => c.PrimaryEmailAddr?.Address);
    expect(new Set(emails).size).toBe(emails.length); // nobody twice
    expect(emails).toHaveLength(12);

    const second = await ferry('--config', 'ferry.json.yaml', 'run', 'shopify-customers-to-quickbooks', '--json');
    expect((JSON.parse(second.out).runs as { counts: Record<string, number> }[])[0]!.counts).toMatchObject({ created: 0, updated: 0, unchanged: 12 });
  });
});
