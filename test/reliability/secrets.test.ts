/**
 * Secrets never leave where they belong. Every command of a full working session runs with debug
 * logging against the emulators, including one whose credentials QuickBooks refuses; then every log
 * line, report, command output and text column of the ledger is scanned for every credential and for
 * every token the QuickBooks emulator issued along the way. Only the secrets file may hold a token.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { registry } from '../../connectors/registry.js';
import { tempDir } from '../support/harness.js';
import { shippedFlowsFor } from '../support/emulated-project.js';

let running: RunningEmulator[];
let cwd: string;
const emulatorState = tempDir('ferry-secrets-emulators-');
const outputs: string[] = [];

async function ferry(config: string, ...args: string[]) {
  const io = bufferIo();
  const code = await main(['node', 'ferry', '--config', config, '--verbose', ...args], { io, cwd, registry });
  const text = [...io.stdout, ...io.stderr].join('\n');
  outputs.push(text);
  return { code, text };
}

beforeAll(async () => {
  running = await startEmulators(['shopify', 'quickbooks'], { seed: 3, dataSize: 'small', ports: { shopify: 0, quickbooks: 0 }, stateDir: emulatorState });
  cwd = tempDir('ferry-secrets-');
  const connections = Object.fromEntries(running.map((e) => [e.service, { connector: e.service, base_url: e.url, ...e.credentials }]));
  const base = { flows: shippedFlowsFor(['shopify', 'quickbooks']), ledger: '.ferry/ledger.db', log: { file: '.ferry/ferry.log', level: 'debug' }, secrets_file: '.ferry/secrets.json' };
  writeFileSync(join(cwd, 'good.yaml'), JSON.stringify({ ...base, connections }));
  // The same QuickBooks app with a client secret QuickBooks refuses.
  const refused = { ...connections, quickbooks: { ...connections.quickbooks, client_secret: 'ferrySecretThatIsWrong0000000000000000000', refresh_token: 'AB11ferryRefreshTokenNobodyIssued000000000000000' } };
  writeFileSync(join(cwd, 'refused.yaml'), JSON.stringify({ ...base, ledger: '.ferry/refused.db', secrets_file: '.ferry/refused-secrets.json', connections: refused }));
}, 60_000);
afterAll(() => Promise.all(running.map((e) => e.close())));

describe('secrets', () => {
  it('appear in no log line, report, command output or ledger column', { timeout: 120_000 }, async () => {
    await ferry('good.yaml', 'run', '--all');
    await ferry('good.yaml', 'info', '--html', 'report.html');
    await ferry('good.yaml', 'info', '--json');
    await ferry('good.yaml', 'dead-letter', 'list');
    await ferry('good.yaml', 'reconcile');
    await ferry('good.yaml', 'trace', 'shopify/orders/1001000');
    const refused = await ferry('refused.yaml', 'run', 'shopify-customers-to-quickbooks');
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/QuickBooks refused|invalid_client|invalid_grant/);

    const qbo = running.find((e) => e.service === 'quickbooks')!;
    const shop = running.find((e) => e.service === 'shopify')!;
    // Every access and refresh token QuickBooks issued during the session, from the emulator's saved state.
    qbo.save();
    const tokens = JSON.parse(readFileSync(join(emulatorState, 'quickbooks.json'), 'utf8')) as { accessTokens: [string, number][]; refreshTokens: string[] };
    const issued = [...tokens.accessTokens.map(([token]) => token), ...tokens.refreshTokens];
    expect(tokens.accessTokens.length).toBeGreaterThan(0);
    const state = JSON.parse(readFileSync(join(cwd, '.ferry', 'secrets.json'), 'utf8')) as Record<string, Record<string, string>>;
    const rotated = Object.values(state).flatMap((c) => Object.values(c));
    // And every Admin API token Shopify sold the Dev Dashboard app.
    shop.save();
    const shopTokens = (JSON.parse(readFileSync(join(emulatorState, 'shopify.json'), 'utf8')) as { issuedTokens: [string, number][] }).issuedTokens.map(([token]) => token);
    expect(shopTokens.length).toBeGreaterThan(0);
    const secrets = [
      shop.credentials.client_secret!,
      ...shopTokens,
      shop.credentials.webhook_secret!,
      qbo.credentials.client_secret!,
      qbo.credentials.refresh_token!,
      qbo.credentials.webhook_secret!,
      'ferrySecretThatIsWrong0000000000000000000',
      'AB11ferryRefreshTokenNobodyIssued000000000000000',
      ...rotated,
      ...issued,
    ];
    expect(rotated.length).toBeGreaterThan(0); // QuickBooks did rotate the refresh token: that one is scanned for too

    const places: [string, string][] = [
      ['log file', readFileSync(join(cwd, '.ferry', 'ferry.log'), 'utf8')],
      ['HTML report', readFileSync(join(cwd, 'report.html'), 'utf8')],
      ['command output', outputs.join('\n')],
      ['ledger', ledgerText(join(cwd, '.ferry', 'ledger.db'))],
      ['ledger of the refused run', ledgerText(join(cwd, '.ferry', 'refused.db'))],
    ];
    expect(places[0]![1]).toContain('run ended'); // the log really holds the session
    for (const [where, text] of places) for (const secret of secrets) expect(text.includes(secret), `${where} contains a secret (${secret.slice(0, 6)}…)`).toBe(false);

    for (const file of ['.ferry/ledger.db', '.ferry/ferry.log', '.ferry/secrets.json', 'report.html']) expect(statSync(join(cwd, file)).mode & 0o077, file).toBe(0);
  });
});

/** Every text value in every table of a ledger. */
function ledgerText(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    return tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all())).join('\n');
  } finally {
    db.close();
  }
}
