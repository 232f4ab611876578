/**
 * Saved tokens belong to the account they were granted for: two configs in one folder whose QuickBooks
 * connections share a name but not a company keep separate rotated refresh tokens, each working in a
 * later process; a token saved before tokens were kept by account is still found.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../connectors/registry.js';
import { type RunningQuickBooks, startQuickBooks } from '../../emulators/quickbooks/index.js';
import type { ConnectionSettings } from '../../src/connector/types.js';
import { SecretsFile } from '../../src/config/secrets-file.js';
import { Connections } from '../../src/engine/connections.js';

let dir: string;
let companies: RunningQuickBooks[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-secrets-'));
  // Intuit honours only the newest refresh token here: a token lost to another config fails at once.
  companies = [await startQuickBooks({ realmId: '9130354850000001', accessToken: undefined, refreshTokenGraceSeconds: 0 }), await startQuickBooks({ realmId: '9130354850000002', accessToken: undefined, refreshTokenGraceSeconds: 0 })];
});
afterAll(async () => {
  await Promise.all(companies.map((c) => c.close()));
  rmSync(dir, { recursive: true, force: true });
});

const settingsOf = (company: RunningQuickBooks): ConnectionSettings => ({
  name: 'quickbooks',
  connector: 'quickbooks',
  baseUrl: company.url,
  options: { realm_id: company.options.realmId, client_id: company.options.clientId, client_secret: company.options.clientSecret, refresh_token: company.options.refreshToken, token_url: `${company.url}/oauth2/v1/tokens/bearer` },
});

/** One process of one config: its connections, a customer written (which refreshes the access token), closed. */
async function sync(company: RunningQuickBooks, secretsFile: string, name: string): Promise<void> {
  const secrets = new SecretsFile(secretsFile);
  const connections = new Connections(registry, new Map([['quickbooks', settingsOf(company)]]), { loadSecret: secrets.loadSecret.bind(secrets), saveSecret: secrets.saveSecret.bind(secrets) });
  try {
    const { entity, client } = await connections.entity('quickbooks', 'quickbooks', 'customers');
    const [result] = await entity.write!(client, [{ sourceId: name, idempotencyKey: `k-${name}`, payload: { DisplayName: name } }], { retry: (task) => task() });
    expect(result, `${name} in realm ${company.options.realmId}`).toMatchObject({ ok: true });
  } finally {
    await connections.close();
  }
}

describe('saved tokens, kept by account', () => {
  it('two configs in one folder, both naming their connection "quickbooks", keep their own rotated tokens', async () => {
    const file = join(dir, 'secrets.json');
    for (let round = 1; round <= 3; round++) {
      await sync(companies[0]!, file, `Staging ${round}`);
      await sync(companies[1]!, file, `Production ${round}`);
    }
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { refresh_token: string }>;
    expect(Object.keys(saved).sort()).toEqual([
      `quickbooks (realm 9130354850000001, app ${companies[0]!.options.clientId})`,
      `quickbooks (realm 9130354850000002, app ${companies[1]!.options.clientId})`,
    ]);
    expect(companies.map((c) => c.emulator.refreshCount)).toEqual([3, 3]);
  });

  it('finds a token saved under the bare connection name before tokens were kept by account', async () => {
    const file = join(dir, 'older-secrets.json');
    const company = companies[0]!;
    const owner = `quickbooks (realm ${company.options.realmId}, app ${company.options.clientId})`;
    // The newest token Intuit issued (the previous test's last), as an older Ferry would have saved it.
    const newest = (JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as Record<string, { refresh_token: string }>)[owner]!.refresh_token;
    writeFileSync(file, JSON.stringify({ quickbooks: { refresh_token: newest } }));
    await sync(company, file, 'After the upgrade');
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object)).toEqual(['quickbooks', owner]);
  });
});
