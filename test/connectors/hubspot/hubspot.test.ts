/** The HubSpot connector against the HubSpot emulator, and its error classification with nock. */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotClient } from '../../../connectors/hubspot/client.js';
import { hubspot } from '../../../connectors/hubspot/index.js';
import type { WriteItem } from '../../../src/connector/types.js';
import { AuthError, PermanentError, TransientError } from '../../../src/errors.js';
import { NO_FAULTS } from '../../../emulators/core/faults.js';
import { startHubSpot, type RunningHubSpot } from '../../../emulators/hubspot/index.js';

let emu: RunningHubSpot;
const open = (baseUrl = emu.url, extra: Record<string, unknown> = {}) => new HubSpotClient({ name: 'hubspot', connector: 'hubspot', baseUrl, options: { access_token: emu.accessToken, ...extra } }, {});
const item = (sourceId: string, payload: Record<string, unknown>, extra: Partial<WriteItem> = {}): WriteItem => ({ sourceId, idempotencyKey: `k-${sourceId}`, payload, ...extra });

beforeAll(async () => {
  emu = await startHubSpot({ requestsPerTenSeconds: 100_000, searchPerSecond: 100_000 });
});
afterAll(() => emu.close());
afterEach(() => nock.cleanAll());

describe('HubSpot connector', () => {
  it('reads every contact over several search pages, oldest change first', async () => {
    const client = open(emu.url, { requests_per_ten_seconds: 100_000, searches_per_second: 100_000 });
    const contacts = hubspot.entities.contacts!;
    const batch = Array.from({ length: 450 }, (_, i) => item(`s${i}`, { email: `h${i}@hub.test`, firstname: `H${i}` }, { match: { field: 'email', value: `h${i}@hub.test` } }));
    for (let i = 0; i < batch.length; i += 100) await contacts.write!(client, batch.slice(i, i + 100));
    const sizes: number[] = [];
    const times: number[] = [];
    for await (const page of contacts.read!(client, {})) {
      sizes.push(page.records.length);
      times.push(...page.records.map((r) => Date.parse(contacts.updatedAt!(r)!)));
    }
    expect(sizes).toEqual([200, 200, 50]);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('upserts by a unique property: the same records twice, no duplicates, and updates by id', async () => {
    const client = open();
    const companies = hubspot.entities.companies!;
    const inputs = [item('shop-1', { name: 'Alpha' }), item('shop-2', { name: 'Beta' })];
    const first = await companies.write!(client, inputs);
    expect(first.map((r) => r.ok && r.action)).toEqual(['created', 'created']);
    const second = await companies.write!(client, inputs);
    expect(second.map((r) => r.ok && r.action)).toEqual(['updated', 'updated']);
    expect(second.map((r) => r.ok && r.targetId)).toEqual(first.map((r) => r.ok && r.targetId));
    const id = (first[0] as { targetId: string }).targetId;
    const [updated] = await companies.write!(client, [item('shop-1', { name: 'Alpha Ltd' }, { targetId: id })]);
    expect(updated).toMatchObject({ ok: true, targetId: id, action: 'updated' });
    // The version a write returns is the one a later read shows: how a two-way flow knows its own write.
    const [read] = await companies.get!(client, [id]);
    expect((updated as { version: string }).version).toBe(companies.version!(read!));
    expect(await companies.find!(client, item('shop-2', {}))).toBe((first[1] as { targetId: string }).targetId);
  });

  it('one refused input fails alone, with the property HubSpot blamed', async () => {
    const client = open();
    const results = await hubspot.entities.products!.write!(client, [item('p1', { name: 'Good', price: '10' }), item('p2', { name: 'Bad', price: 'ten' })]);
    expect(results[0]).toMatchObject({ ok: true, action: 'created' });
    const error = (results[1] as { error: PermanentError }).error;
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.field).toBe('price');
  });

  it('maps HubSpot’s answers to Ferry’s classes', async () => {
    // A fresh client each time: a 429 rightly pauses the client that received it.
    const read = async () => {
      for await (const _ of hubspot.entities.deals!.read!(open('https://hub.mocked'), {})) return;
    };
    const scope = () => nock('https://hub.mocked').post('/crm/v3/objects/deals/search');
    scope().reply(429, { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING', category: 'RATE_LIMITS', correlationId: 'x' });
    expect(await read().catch((e: unknown) => e)).toMatchObject({ constructor: TransientError, status: 429, retryAfterMs: 10_000 });
    scope().reply(429, { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY', category: 'RATE_LIMITS', correlationId: 'x', errors: [] });
    expect(await read().catch((e: unknown) => e)).toMatchObject({ constructor: TransientError, code: 'DAILY', message: expect.stringMatching(/^HubSpot's daily API limit for this account is used up; it starts again at midnight/) });
    scope().reply(400, { status: 'error', message: 'Property values were not valid: [...]', category: 'VALIDATION_ERROR', correlationId: 'x', errors: [{ message: 'Property "colour" does not exist', code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['colour'] } }] });
    expect(await read().catch((e: unknown) => e)).toMatchObject({ constructor: PermanentError, field: 'colour' });
    scope().reply(401, { message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION', correlationId: 'x' });
    expect(await read().catch((e: unknown) => e)).toBeInstanceOf(AuthError);
    scope().reply(502, { message: 'bad gateway', category: 'INTERNAL_ERROR', correlationId: 'x' });
    expect(await read().catch((e: unknown) => e)).toBeInstanceOf(TransientError);
  });
});

describe('HubSpot connector: the budget follows HubSpot’s rate-limit headers', () => {
  const headers = (max: number, remaining: number, intervalMs: number) => ({
    'x-hubspot-ratelimit-max': String(max),
    'x-hubspot-ratelimit-remaining': String(remaining),
    'x-hubspot-ratelimit-interval-milliseconds': String(intervalMs),
  });
  const readBatch = (client: HubSpotClient) => hubspot.entities.contacts!.get!(client, ['1']);
  const batchRead = () => nock('https://hub.mocked').post('/crm/v3/objects/contacts/batch/read');
  const answer = { status: 'COMPLETE', results: [], startedAt: '2026-11-22T00:00:00Z', completedAt: '2026-11-22T00:00:00Z' };

  it('takes the account’s limit from the headers, keeping 5% in reserve', async () => {
    const client = open('https://hub.mocked');
    // The account allows 4 requests per 400 ms: Ferry uses 3, then waits for the window.
    batchRead().times(5).reply(200, answer, headers(4, 3, 400));
    await readBatch(client);
    const started: number[] = [];
    await Promise.all(Array.from({ length: 4 }, async () => (await readBatch(client), started.push(Date.now()))));
    started.sort((a, b) => a - b);
    expect(started[3]! - started[0]!).toBeGreaterThanOrEqual(350);
  });

  it('waits out the window when something else has nearly spent it', async () => {
    const client = open('https://hub.mocked');
    batchRead().reply(200, answer, headers(100, 1, 300));
    batchRead().reply(200, answer, headers(100, 99, 300));
    await readBatch(client);
    const before = Date.now();
    await readBatch(client);
    expect(Date.now() - before).toBeGreaterThanOrEqual(290);
  });

  it('never rises above a budget the connection sets', async () => {
    const client = open('https://hub.mocked', { requests_per_ten_seconds: 2 });
    batchRead().times(4).reply(200, answer, headers(1_000, 999, 10_000));
    await readBatch(client);
    await readBatch(client);
    // Two requests in this ten-second window: the third must wait, whatever the headers allow.
    const third = readBatch(client).then(() => 'sent');
    expect(await Promise.race([third, new Promise((r) => setTimeout(() => r('waiting'), 300))])).toBe('waiting');
  });
});

describe('HubSpot connector: deals with their associations', () => {
  it('attaches the company ids and line items to each deal read', async () => {
    const client = open();
    const post = async (path: string, body: object) => (await emu.server.inject('POST', path, body)).body as { id: string };
    const company = await post('/crm/v3/objects/companies', { properties: { name: 'Deal Co' } });
    const deal = await post('/crm/v3/objects/deals', { properties: { dealname: 'With lines', dealstage: 'closedwon' }, associations: [{ to: { id: company.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 341 }] }] });
    for (const [name, quantity] of [['Widget', '3'], ['Gadget', '1']] as const) {
      await post('/crm/v3/objects/line_items', { properties: { name, quantity, price: '10.00', hs_sku: name.toUpperCase() }, associations: [{ to: { id: deal.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 20 }] }] });
    }
    const [read] = await hubspot.entities.deals!.get!(client, [deal.id]);
    expect(read).toMatchObject({ dealname: 'With lines', companies: [company.id] });
    expect((read!.line_items as { name: string; amount: string }[]).map((l) => [l.name, l.amount]).sort()).toEqual([['Gadget', '10.00'], ['Widget', '30.00']]);
  });
});

describe('HubSpot connector: a public app on OAuth 2', () => {
  const secrets = new Map<string, string>();
  const context = {
    saveSecret: async (connection: string, key: string, value: string) => void secrets.set(`${connection}/${key}`, value),
    loadSecret: async (connection: string, key: string) => secrets.get(`${connection}/${key}`),
  };
  const oauthClient = (refreshToken = emu.oauth.refreshToken, baseUrl = emu.url) =>
    new HubSpotClient({ name: 'hubspot', connector: 'hubspot', baseUrl, options: { client_id: emu.oauth.clientId, client_secret: emu.oauth.clientSecret, refresh_token: refreshToken } }, context);
  const readSome = (client: HubSpotClient) => hubspot.entities.contacts!.get!(client, ['1']);

  it('gets an access token on first use, and refreshes once for many concurrent 401s', async () => {
    const client = oauthClient();
    const before = emu.emulator.refreshCount;
    await readSome(client);
    expect(emu.emulator.refreshCount).toBe(before + 1);
    emu.emulator.expireAccessTokens();
    await Promise.all(Array.from({ length: 6 }, () => readSome(client)));
    expect(emu.emulator.refreshCount).toBe(before + 2);
  });

  it('a refresh whose answer is lost costs one more refresh: HubSpot keeps the refresh token', async () => {
    const client = oauthClient();
    const before = emu.emulator.refreshCount;
    await emu.server.inject('PUT', '/__admin/faults', { ...NO_FAULTS, lost: 1 });
    expect(await readSome(client).catch((e: unknown) => e)).toBeInstanceOf(TransientError);
    await emu.server.inject('PUT', '/__admin/faults', NO_FAULTS);
    expect(emu.emulator.refreshCount).toBe(before + 1);
    await readSome(client);
    expect(emu.emulator.refreshCount).toBe(before + 2);
  });

  it('says how to reconnect when HubSpot refuses the refresh token, and never shows a token', async () => {
    const error = (await readSome(oauthClient('na1-revoked-token')).catch((e: unknown) => e)) as AuthError;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/BAD_REFRESH_TOKEN.*install the app again/);
    expect(error.message).not.toContain('na1-revoked-token');
    expect(error.message).not.toContain(emu.oauth.clientSecret);
  });

  it('saves a refresh token HubSpot rotated before using it, and uses the saved one after a restart', async () => {
    secrets.clear();
    const token = (accessToken: string, refreshToken: string) => ({ token_type: 'bearer', access_token: accessToken, refresh_token: refreshToken, expires_in: 1800 });
    const answer = { status: 'COMPLETE', results: [], startedAt: '2026-11-22T00:00:00Z', completedAt: '2026-11-22T00:00:00Z' };
    nock('https://hub.mocked')
      .post('/oauth/v1/token', (body: Record<string, string>) => body.refresh_token === 'configured')
      .reply(200, token('access-1', 'rotated'))
      .post('/crm/v3/objects/contacts/batch/read')
      .matchHeader('authorization', 'Bearer access-1')
      .reply(200, () => {
        // By the time the new access token is used, the rotated refresh token is already saved.
        expect(secrets.get('hubspot/refresh_token')).toBe('rotated');
        return answer;
      });
    await readSome(oauthClient('configured', 'https://hub.mocked'));
    // A new process: the saved token is the one sent.
    nock('https://hub.mocked')
      .post('/oauth/v1/token', (body: Record<string, string>) => body.refresh_token === 'rotated')
      .reply(200, token('access-2', 'rotated'))
      .post('/crm/v3/objects/contacts/batch/read')
      .matchHeader('authorization', 'Bearer access-2')
      .reply(200, answer);
    await readSome(oauthClient('configured', 'https://hub.mocked'));
    expect(nock.isDone()).toBe(true);
  });
});
