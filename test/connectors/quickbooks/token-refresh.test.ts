/**
 * A token refresh whose answer is lost. Intuit rotates the refresh token on its side and documents that
 * "your previous refresh tokens expire 24 hours after you receive a new one" (intuit-oauth's README), so
 * the token Ferry still holds keeps working for a day: the next run recovers by itself. Past that, a
 * person must reconnect; Ferry says so once per connection and stops asking the token endpoint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { quickbooks } from '../../../connectors/quickbooks/index.js';
import { NO_FAULTS } from '../../../emulators/core/faults.js';
import { type RunningQuickBooks, startQuickBooks } from '../../../emulators/quickbooks/index.js';
import type { ConnectorContext } from '../../../src/connector/types.js';
import { AuthError, TransientError } from '../../../src/errors.js';

let running: RunningQuickBooks | undefined;
afterEach(() => running?.close());

/** A secrets store that outlives each client, as the secrets file outlives a run. */
function secretsStore(warnings: string[] = []): ConnectorContext & { saved: Map<string, string> } {
  const saved = new Map<string, string>();
  return {
    saved,
    loadSecret: async (connection, key) => saved.get(`${connection}:${key}`),
    saveSecret: async (connection, key, value) => void saved.set(`${connection}:${key}`, value),
    warn: (message) => void warnings.push(message),
  };
}

async function run(context: ConnectorContext) {
  const { options } = running!;
  const settings = { name: 'books', connector: 'quickbooks', baseUrl: running!.url, options: { realm_id: options.realmId, client_id: options.clientId, client_secret: options.clientSecret, refresh_token: options.refreshToken, token_url: `${running!.url}/oauth2/v1/tokens/bearer`, timeout_ms: 2_000 } };
  const client = await quickbooks.open(settings, context);
  const read = quickbooks.entities.customers!.read!(client, {})[Symbol.asyncIterator]().next();
  return { client, result: await read.then(() => 'read', (e: unknown) => e) };
}

const tokenRequests = () => running!.server.log.filter((r) => r.path === '/oauth2/v1/tokens/bearer').length;

describe('a QuickBooks refresh whose answer is lost', () => {
  it('leaves the connection working on the next run: the previous refresh token still works for a day', async () => {
    running = await startQuickBooks({ accessToken: undefined });
    const secrets = secretsStore();
    await running.server.inject('PUT', '/__admin/faults', { ...NO_FAULTS, lost: 1 });
    const lost = await run(secrets);
    expect(lost.result).toBeInstanceOf(TransientError);
    expect(running.emulator.refreshCount).toBe(1); // Intuit rotated; Ferry never heard the new token

    await running.server.inject('PUT', '/__admin/faults', NO_FAULTS);
    const next = await run(secrets);
    expect(next.result).toBe('read');
    expect(secrets.saved.get('books:refresh_token')).toMatch(/^AB11/);
    // And the token it saved is the one that works from now on.
    expect((await run(secrets)).result).toBe('read');
  });

  it('past the day: a person must reconnect, which Ferry says once, without asking again', async () => {
    running = await startQuickBooks({ accessToken: undefined, refreshTokenGraceSeconds: 0 });
    const warnings: string[] = [];
    const secrets = secretsStore(warnings);
    await running.server.inject('PUT', '/__admin/faults', { ...NO_FAULTS, lost: 1 });
    await run(secrets);
    await running.server.inject('PUT', '/__admin/faults', NO_FAULTS);

    const stranded = await run(secrets);
    expect(stranded.result).toBeInstanceOf(AuthError);
    expect((stranded.result as AuthError).message).toMatch(/reconnect the app/);
    const asked = tokenRequests();
    const again = await stranded.client.call('findCustomers', 'where Id = \'1\'').then(() => 'read', (e: unknown) => e);
    expect(again).toBe(stranded.result);
    expect(tokenRequests()).toBe(asked);
    expect(warnings.filter((w) => /reconnect/.test(w))).toHaveLength(1);
  });
});

describe('several QuickBooks companies in one process', () => {
  it('refreshes each connection at its own token endpoint, though node-quickbooks keeps one process-wide', async () => {
    const companies = [await startQuickBooks({ accessToken: undefined, seed: 1 }), await startQuickBooks({ accessToken: undefined, seed: 2 })];
    try {
      const clients = [];
      // Both opened before either reads: the second connection's endpoint is the last one set.
      for (const [i, company] of companies.entries()) {
        const { options } = company;
        const settings = { name: `books-${i}`, connector: 'quickbooks', baseUrl: company.url, options: { realm_id: options.realmId, client_id: options.clientId, client_secret: options.clientSecret, refresh_token: options.refreshToken, token_url: `${company.url}/oauth2/v1/tokens/bearer` } };
        clients.push(await quickbooks.open(settings, {}));
      }
      for (const client of clients) await quickbooks.entities.customers!.read!(client, {})[Symbol.asyncIterator]().next();
      expect(companies.map((c) => c.emulator.refreshCount)).toEqual([1, 1]);
    } finally {
      await Promise.all(companies.map((c) => c.close()));
    }
  });
});
