/**
 * `ferry connect` drives QuickBooks' authorization-code flow headlessly against the emulator: the URL
 * it prints is Intuit's authorization page, whose consent sends the browser back to Ferry's loopback
 * listener; the refresh token is kept under the company it belongs to, the realm id is named for the
 * config, and a connection with no refresh_token in its config then works from the saved one.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUBSPOT_DEFAULTS, startHubSpot } from '../../emulators/hubspot/index.js';
import { startEmulators } from '../../emulators/index.js';
import { type RunningQuickBooks, startQuickBooks } from '../../emulators/quickbooks/index.js';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { registry } from '../../connectors/registry.js';
import { shippedFlowsFor } from '../support/emulated-project.js';
import { tempDir } from '../support/harness.js';

let company: RunningQuickBooks;
beforeAll(async () => {
  company = await startQuickBooks({ realmId: '9130354850004242', accessToken: undefined });
});
afterAll(() => company.close());

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Runs `ferry connect NAME` as a person would: opens the printed address, which consents and sends the browser back. */
async function connect(cwd: string, name: string, page: RegExp): Promise<string> {
  const io = bufferIo();
  const connecting = main(['node', 'ferry', '--config', 'ferry.yaml', 'connect', name], { io, cwd, registry });
  let url: string | undefined;
  for (let i = 0; i < 100 && !url; i++) {
    url = page.exec(io.stdout.join('\n'))?.[0];
    if (!url) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(url, io.stderr.join('\n')).toBeDefined();
  const consent = await fetch(url!, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  const back = await fetch(consent.headers.get('location')!);
  expect(await back.text()).toMatch(/you can close this window/);
  expect(await connecting, io.stderr.join('\n')).toBe(0);
  return io.stdout.join('\n');
}

async function check(cwd: string): Promise<string> {
  const io = bufferIo();
  const code = await main(['node', 'ferry', '--config', 'ferry.yaml', 'check'], { io, cwd, registry });
  expect(io.stderr).toEqual([]);
  expect(code, io.stdout.join('\n')).toBe(0);
  return io.stdout.join('\n');
}

function project(): { cwd: string; write(connections: Record<string, object>): void } {
  const cwd = tempDir('ferry-connect-');
  mkdirSync(join(cwd, 'flows'));
  return { cwd, write: (connections) => writeFileSync(join(cwd, 'ferry.yaml'), JSON.stringify({ flows: 'flows', ledger: 'ledger.db', secrets_file: 'secrets.json', connections })) };
}

describe('ferry connect', () => {
  it('connects QuickBooks and HubSpot for a project, whose flows then sync on the tokens it saved', async () => {
    const running = await startEmulators(['hubspot', 'quickbooks'], { seed: 4, dataSize: 'small', ports: { hubspot: 0, quickbooks: 0 } });
    try {
      const qbo = running.find((e) => e.service === 'quickbooks')!;
      const hub = running.find((e) => e.service === 'hubspot')!;
      const cwd = tempDir('ferry-connected-');
      const [qboPort, hubPort] = [await freePort(), await freePort()];
      const connections = (extra: { realm_id?: string; portal_id?: string } = {}) => ({
        quickbooks: { connector: 'quickbooks', base_url: qbo.url, client_id: qbo.credentials.client_id, client_secret: qbo.credentials.client_secret, token_url: qbo.credentials.token_url, authorize_url: `${qbo.url}/connect/oauth2`, redirect_uri: `http://127.0.0.1:${qboPort}/callback`, ...(extra.realm_id ? { realm_id: extra.realm_id } : {}) },
        hubspot: { connector: 'hubspot', base_url: hub.url, client_id: HUBSPOT_DEFAULTS.oauth.clientId, client_secret: HUBSPOT_DEFAULTS.oauth.clientSecret, authorize_url: `${hub.url}/oauth/authorize`, redirect_uri: `http://127.0.0.1:${hubPort}/callback`, ...(extra.portal_id ? { portal_id: extra.portal_id } : {}) },
      });
      const write = (extra?: { realm_id?: string; portal_id?: string }) => writeFileSync(join(cwd, 'ferry.yaml'), JSON.stringify({ flows: shippedFlowsFor(['hubspot', 'quickbooks']), ledger: 'ledger.db', connections: connections(extra) }));
      write();
      await connect(cwd, 'quickbooks', /https?:\/\/\S+\/connect\/oauth2\?\S+/);
      await connect(cwd, 'hubspot', /https?:\/\/\S+\/oauth\/authorize\?\S+/);
      // The secrets sit beside the config, named after it; the config now names the accounts.
      expect(Object.keys(JSON.parse(readFileSync(join(cwd, 'ferry.secrets.json'), 'utf8')) as object).sort()).toEqual([
        `hubspot (app ${HUBSPOT_DEFAULTS.oauth.clientId}, portal ${HUBSPOT_DEFAULTS.portalId})`,
        `quickbooks (realm ${qbo.credentials.realm_id}, app ${qbo.credentials.client_id})`,
      ]);
      write({ realm_id: qbo.credentials.realm_id, portal_id: String(HUBSPOT_DEFAULTS.portalId) });
      const io = bufferIo();
      await main(['node', 'ferry', '--config', 'ferry.yaml', '--quiet', 'run', '--all', '--json'], { io, cwd, registry });
      expect(io.stderr).toEqual([]);
      const { runs } = JSON.parse(io.stdout.join('\n')) as { runs: { flow: string; status: string; counts: { created: number } }[] };
      expect(runs.filter((r) => r.status === 'failed')).toEqual([]);
      expect(runs.find((r) => r.flow === 'hubspot-companies-to-quickbooks-customers')!.counts.created).toBeGreaterThan(0);
    } finally {
      await Promise.all(running.map((e) => e.close()));
    }
  });

  it('completes the QuickBooks authorisation from a printed URL and leaves a connection that works', async () => {
    const { cwd, write } = project();
    const port = await freePort();
    const connection = (extra: Record<string, string> = {}) => ({
      connector: 'quickbooks',
      base_url: company.url,
      client_id: company.options.clientId,
      client_secret: company.options.clientSecret,
      authorize_url: `${company.url}/connect/oauth2`,
      token_url: `${company.url}/oauth2/v1/tokens/bearer`,
      redirect_uri: `http://127.0.0.1:${port}/callback`,
      ...extra,
    });
    write({ quickbooks: connection() });
    const said = await connect(cwd, 'quickbooks', /https?:\/\/\S+\/connect\/oauth2\?\S+/);
    expect(said).toContain('Connected: QuickBooks company (realm 9130354850004242)');
    expect(said).toContain("Set in the connection 'quickbooks' of");
    expect(said).toContain('  realm_id: 9130354850004242');
    expect(said).not.toMatch(/AB11\w{20,}/);
    // With the realm id set and no refresh token in the config, the connection runs on the saved one.
    write({ quickbooks: connection({ realm_id: '9130354850004242' }) });
    expect(await check(cwd)).toContain('quickbooks (quickbooks): company Ferry Emulated Books (realm 9130354850004242)');
  });

  it('installs a HubSpot public app the same way, and the connection then works on the saved refresh token', async () => {
    const hubspot = await startHubSpot();
    try {
      const { cwd, write } = project();
      const port = await freePort();
      const connection = (extra: Record<string, string> = {}) => ({
        connector: 'hubspot',
        base_url: hubspot.url,
        client_id: hubspot.oauth.clientId,
        client_secret: hubspot.oauth.clientSecret,
        authorize_url: `${hubspot.url}/oauth/authorize`,
        redirect_uri: `http://127.0.0.1:${port}/callback`,
        ...extra,
      });
      write({ hubspot: connection() });
      const said = await connect(cwd, 'hubspot', /https?:\/\/\S+\/oauth\/authorize\?\S+/);
      expect(said).toContain(`Connected: HubSpot portal ${hubspot.portalId}`);
      expect(said).toContain(`  portal_id: ${hubspot.portalId}`);
      write({ hubspot: connection({ portal_id: String(hubspot.portalId) }) });
      expect(await check(cwd)).toContain(`hubspot (hubspot): portal ${hubspot.portalId}`);
    } finally {
      await hubspot.close();
    }
  });
});
