import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_FILE, composedConfigSchema } from '../../connectors/write-config-schema.js';
import { isSecretOption } from '../../src/config/connection-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError, formatDiagnostic } from '../../src/errors.js';
import type { JsonObject } from '../../src/connector/types.js';

const committed = JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, 'utf8')) as JsonObject;

function problems(yaml: string): string[] {
  try {
    parseConfig('ferry.yaml', yaml, { QBO_SECRET: 'x' });
    return [];
  } catch (error) {
    return (error as ConfigError).diagnostics.map(formatDiagnostic);
  }
}

describe("connections, as the connectors declare them", () => {
  it('the committed config schema is the one composed from the connectors (npm run schemas writes it)', () => {
    expect(committed).toEqual(composedConfigSchema(committed));
  });

  it("refuses an option a connection's connector does not take, with the one probably meant; checks numbers", () => {
    const yaml = 'connections:\n  books:\n    connector: quickbooks\n    realmid: "123"\n    client_secret: ${QBO_SECRET}\n    requests_per_minute: lots\n  shop:\n    connector: shopify\n    shop: acme\n    webhook_secret: s3cret-s3cret\n';
    expect(problems(yaml)).toEqual([
      "ferry.yaml:4:5 connections.books.realmid: unknown key 'realmid' (did you mean 'realm_id'?)",
      'ferry.yaml:6:26 connections.books.requests_per_minute: must be a number, or a ${ENV} reference to one',
    ]);
    // A connector that declares no options (a plugin, a test double) takes any.
    expect(problems('connections:\n  memory:\n    connector: memory\n    anything: 1\n')).toEqual([]);
  });

  it('knows credentials from the declarations, to mask them', () => {
    expect(isSecretOption(committed, 'quickbooks', 'client_secret')).toBe(true);
    expect(isSecretOption(committed, 'quickbooks', 'realm_id')).toBe(false);
    expect(isSecretOption(committed, 'stripe', 'webhook_secret')).toBe(true);
    expect(isSecretOption(committed, 'memory', 'anything')).toBe(true);
    const config = parseConfig('ferry.yaml', 'connections:\n  books:\n    connector: quickbooks\n    realm_id: "9130"\n    client_secret: ${QBO_SECRET}\n', { QBO_SECRET: 'very-secret-value' });
    expect([...config.secrets]).toEqual(['very-secret-value']);
  });
});
