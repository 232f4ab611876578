/**
 * HubSpot behaviours as HubSpot documents them (cited in the emulator): error bodies with `status`,
 * `correlationId`, `category` and `errors[]`; a plan's ten-second and daily limits, with the daily
 * headers for a private app only; and the date-versioned CRM paths beside v3.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningHubSpot, startHubSpot } from '../../../emulators/hubspot/index.js';

let emu: RunningHubSpot | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const send = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${emu!.url}${path}`, { ...init, headers: { authorization: `Bearer ${init.token ?? emu!.accessToken}`, 'content-type': 'application/json' } });

describe('HubSpot error bodies', () => {
  it('answers a refused property and a missing object with status, message, correlationId, category and errors[]', async () => {
    emu = await startHubSpot({ requestsPerTenSeconds: 10_000 });
    const refused = await send('/crm/v3/objects/contacts', { method: 'POST', body: JSON.stringify({ properties: { email: 'a@x.test', colour: 'red' } }) });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      status: 'error',
      category: 'VALIDATION_ERROR',
      message: expect.stringContaining('Property values were not valid'),
      correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      errors: [{ code: 'PROPERTY_DOESNT_EXIST', message: 'Property "colour" does not exist', context: { propertyName: ['colour'] } }],
    });
    const missing = await send('/crm/v3/objects/contacts/999999');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND', correlationId: expect.any(String), errors: [] });
  });
});

describe('HubSpot plan limits', () => {
  it('a Free account gets 100 requests per ten seconds', async () => {
    emu = await startHubSpot({ tier: 'free' });
    const statuses = await Promise.all(Array.from({ length: 120 }, () => send('/crm/v3/objects/contacts?limit=1').then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('counts the day: a private app sees the daily limit and what is left of it, and is refused with DAILY once it is spent', async () => {
    emu = await startHubSpot({ tier: 'enterprise', requestsPerDay: 3 });
    const first = await send('/crm/v3/objects/contacts?limit=1');
    expect([first.headers.get('x-hubspot-ratelimit-daily'), first.headers.get('x-hubspot-ratelimit-daily-remaining'), first.headers.get('x-hubspot-ratelimit-max')]).toEqual(['3', '2', '190']);
    await send('/crm/v3/objects/contacts?limit=1');
    await send('/crm/v3/objects/contacts?limit=1');
    const spent = await send('/crm/v3/objects/contacts?limit=1');
    expect(spent.status).toBe(429);
    expect(await spent.json()).toMatchObject({ status: 'error', policyName: 'DAILY', category: 'RATE_LIMITS' });
  });

  it('sends the daily headers to a private app only, not to an OAuth token', async () => {
    emu = await startHubSpot();
    const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: emu.oauth.clientId, client_secret: emu.oauth.clientSecret, refresh_token: emu.oauth.refreshToken });
    const { access_token } = (await (await fetch(`${emu.url}/oauth/v1/token`, { method: 'POST', body: form })).json()) as { access_token: string };
    const oauth = await send('/crm/v3/objects/contacts?limit=1', { token: access_token });
    expect(oauth.status).toBe(200);
    expect(oauth.headers.get('x-hubspot-ratelimit-daily')).toBeNull();
    expect(oauth.headers.get('x-hubspot-ratelimit-max')).toBe('190');
  });
});

describe('HubSpot date-versioned CRM paths', () => {
  it('serves /crm/objects/2026-03/… on the same objects as /crm/v3/objects/…, and 404s a version that does not exist', async () => {
    emu = await startHubSpot({ requestsPerTenSeconds: 10_000 });
    const created = await send('/crm/objects/2026-03/contacts', { method: 'POST', body: JSON.stringify({ properties: { email: 'dated@x.test' } }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await (await send(`/crm/v3/objects/contacts/${id}`)).json()).toMatchObject({ id, properties: { email: 'dated@x.test' } });
    const found = (await (await send('/crm/objects/2026-03/contacts/search', { method: 'POST', body: JSON.stringify({ filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'dated@x.test' }] }] }) })).json()) as { results: { id: string }[] };
    expect(found.results.map((r) => r.id)).toEqual([id]);
    expect((await send('/crm/objects/1999-01/contacts')).status).toBe(404);
  });
});
