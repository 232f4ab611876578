/**
 * `ferry connect` drives QuickBooks' authorization-code flow headlessly against the emulator: the URL
 * it prints is Intuit's authorization page, whose consent sends the browser back to Ferry's loopback
 * listener; the refresh token is kept under the company it belongs to, the realm id is named for the
 * config, and a connection with no refresh_token in its config then works from the saved one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningQuickBooks, startQuickBooks } from '../../emulators/quickbooks/index.js';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
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

describe('ferry connect', () => {
  it('completes the QuickBooks authorisation from a printed URL and leaves a connection that works', async () => {
    const cwd = tempDir('ferry-connect-');
    mkdirSync(join(cwd, 'flows'));
    const port = await freePort();
    const connection = (extra: Record<string, string>) => ({
      connector: 'quickbooks',
      base_url: company.url,
      client_id: company.options.clientId,
      client_secret: company.options.clientSecret,
      authorize_url: `${company.url}/connect/oauth2`,
      token_url: `${company.url}/oauth2/v1/tokens/bearer`,
      redirect_uri: `http://127.0.0.1:${port}/callback`,
      ...extra,
    });
    const writeConfig = (extra: Record<string, string> = {}) => writeFileSync(join(cwd, 'ferry.yaml'), JSON.stringify({ flows: 'flows', ledger: 'ledger.db', secrets_file: 'secrets.json', connections: { quickbooks: connection(extra) } }));
    writeConfig();
    const io = bufferIo();
    const connecting = main(['node', 'ferry', '--config', 'ferry.yaml', 'connect', 'quickbooks'], { io, cwd });
    // The person: opens the printed address, signs in and approves (the emulator consents at once).
    let url: string | undefined;
    for (let i = 0; i < 100 && !url; i++) {
      url = /https?:\/\/\S+\/connect\/oauth2\?\S+/.exec(io.stdout.join('\n'))?.[0];
      if (!url) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(url).toBeDefined();
    const consent = await fetch(url!, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = await fetch(consent.headers.get('location')!);
    expect(await back.text()).toMatch(/you can close this window/);
    expect(await connecting).toBe(0);
    const said = io.stdout.join('\n');
    expect(said).toContain('Connected: QuickBooks company (realm 9130354850004242)');
    expect(said).toContain("Set in the connection 'quickbooks' of");
    expect(said).toContain('  realm_id: 9130354850004242');
    expect(said).not.toMatch(/AB11\w{20,}/);

    // With the realm id set and no refresh token in the config, the connection runs on the saved one.
    writeConfig({ realm_id: '9130354850004242' });
    const checkIo = bufferIo();
    const checked = await main(['node', 'ferry', '--config', 'ferry.yaml', 'check'], { io: checkIo, cwd });
    expect(checkIo.stderr).toEqual([]);
    expect(checked).toBe(0);
    expect(checkIo.stdout.join('\n')).toContain('quickbooks (quickbooks): company Ferry Emulated Books (realm 9130354850004242)');
  });
});
