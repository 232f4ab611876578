import { describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { SecretsFile } from '../../src/config/secrets-file.js';
import { tempDir } from '../support/harness.js';
import { ConfigError, formatDiagnostic } from '../../src/errors.js';

const TEXT = `connections:
  shopify:
    connector: shopify
    base_url: https://\${SHOP}.myshopify.com
    access_token: \${SHOPIFY_TOKEN}
  quickbooks:
    connector: quickbooks
    client_secret: \${QBO_SECRET}
    realm_id: \${QBO_REALM:-123}
`;

describe('config file', () => {
  it('resolves ${ENV} references and collects the secrets for redaction', () => {
    const config = parseConfig('ferry.yaml', TEXT, { SHOP: 'acme', SHOPIFY_TOKEN: 'shpat_secret_1', QBO_SECRET: 'qbo-secret-2' }, '/srv');
    expect(config.connections.get('shopify')).toEqual({ name: 'shopify', connector: 'shopify', baseUrl: 'https://acme.myshopify.com', options: { access_token: 'shpat_secret_1' } });
    expect(config.connections.get('quickbooks')!.options).toEqual({ client_secret: 'qbo-secret-2', realm_id: '123' });
    expect([...config.secrets].sort()).toEqual(['qbo-secret-2', 'shpat_secret_1']);
    expect(config.ledgerPath).toBe('/srv/.ferry/ledger.db');
  });

  it('names the file, line and field of an unset environment variable, for the connection that needs it', () => {
    const config = parseConfig('ferry.yaml', TEXT, { SHOP: 'acme', QBO_SECRET: 'x' });
    expect(config.unresolved.get('shopify')!.map(formatDiagnostic)).toEqual(['ferry.yaml:5:19 connections.shopify.access_token: environment variable SHOPIFY_TOKEN is not set']);
    expect(config.unresolved.has('quickbooks')).toBe(false);
  });

  it('keeps secrets beside the config by default, named after it, and still reads where an older Ferry kept them', async () => {
    const staging = parseConfig('deploy/staging.yaml', 'connections: {}\n', {}, '/srv/shop');
    expect([staging.secretsFile, staging.legacySecretsFile]).toEqual(['/srv/shop/deploy/staging.secrets.json', '/srv/shop/.ferry/secrets.json']);
    expect(parseConfig('deploy/production.yaml', 'connections: {}\n', {}, '/srv/shop').secretsFile).toBe('/srv/shop/deploy/production.secrets.json');
    const named = parseConfig('ferry.yaml', 'secrets_file: vault/tokens.json\nconnections: {}\n', {}, '/srv/shop');
    expect([named.secretsFile, named.legacySecretsFile]).toEqual(['/srv/shop/vault/tokens.json', undefined]);

    const dir = tempDir('ferry-secrets-');
    writeFileSync(join(dir, 'older.json'), JSON.stringify({ quickbooks: { refresh_token: 'from-before' } }));
    const secrets = new SecretsFile(join(dir, 'ferry.secrets.json'), join(dir, 'older.json'));
    expect(await secrets.loadSecret('quickbooks', 'refresh_token')).toBe('from-before');
    await secrets.saveSecret('quickbooks', 'refresh_token', 'rotated');
    expect(await secrets.loadSecret('quickbooks', 'refresh_token')).toBe('rotated');
    expect(JSON.parse(readFileSync(join(dir, 'older.json'), 'utf8'))).toEqual({ quickbooks: { refresh_token: 'from-before' } });
    expect(statSync(join(dir, 'ferry.secrets.json')).mode & 0o777).toBe(0o600);
  });

  it('rejects unknown keys and wrong types with positions', () => {
    const error = (() => {
      try {
        parseConfig('ferry.yaml', 'ledgr: x\ndaemon:\n  webhook_port: "eighty"\nconnections:\n  s: { base_url: x }\n', {});
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.diagnostics.map(formatDiagnostic)).toEqual([
      "ferry.yaml:1:1 ledgr: unknown key 'ledgr' (did you mean 'ledger'?)",
      'ferry.yaml:3:17 daemon.webhook_port: must be integer',
      "ferry.yaml:5:3 connections.s: missing required key 'connector'",
    ]);
  });
});
