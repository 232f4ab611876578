/** The QuickBooks connector's error classification, with recorded answers replayed by nock. */
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { quickbooks } from '../../../connectors/quickbooks/index.js';
import type { QuickBooksClient } from '../../../connectors/quickbooks/client.js';
import { AuthError, PermanentError, TransientError } from '../../../src/errors.js';

const BASE = 'https://qbo.test';
const REALM = '123';

async function client(): Promise<QuickBooksClient> {
  return (await quickbooks.open(
    { name: 'qbo', connector: 'quickbooks', baseUrl: BASE, options: { realm_id: REALM, client_id: 'id', client_secret: 'secret', refresh_token: 'rt', access_token: 'at', token_url: `${BASE}/oauth2/v1/tokens/bearer`, timeout_ms: 500 } },
    {},
  )) as QuickBooksClient;
}

const query = () => nock(BASE).get(`/v3/company/${REALM}/query`).query(true);
const read = async () => {
  const c = await client();
  for await (const _ of quickbooks.entities.customers!.read!(c, {})) return;
};

afterEach(() => nock.cleanAll());

describe('QuickBooks error classification', () => {
  it('429 is transient and carries Retry-After', async () => {
    query().reply(429, { Fault: { Error: [{ Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429', Detail: 'The request limit was reached.', code: '3001' }], type: 'SERVICE' } }, { 'Retry-After': '7' });
    const error = await read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 7_000 });
  });

  it('a SystemFault 500 and a dropped connection are transient', async () => {
    query().reply(500, { Fault: { Error: [{ Message: 'An application error has occurred', code: '10000' }], type: 'SystemFault' } });
    expect(await read().catch((e: unknown) => e)).toBeInstanceOf(TransientError);
    query().replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    expect(await read().catch((e: unknown) => e)).toBeInstanceOf(TransientError);
  });

  it('a request that never answers times out as transient', async () => {
    query().delay(5_000).reply(200, {});
    const error = await read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/did not answer/);
  });

  it('a ValidationFault is permanent and keeps Intuit’s code, message and element', async () => {
    query().reply(400, { Fault: { Error: [{ Message: 'Invalid Reference Id', Detail: 'Invalid Reference Id : Customer id 9 not found', code: '2500', element: 'CustomerRef' }], type: 'ValidationFault' } });
    const error = await read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: '2500', field: 'CustomerRef', status: 400, message: 'Invalid Reference Id: Invalid Reference Id : Customer id 9 not found' });
  });

  it('a 401 is refreshed once; a second 401 is an AuthError', async () => {
    query().times(2).reply(401, { Fault: { Error: [{ Message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', code: '3200' }], type: 'AUTHENTICATION' } });
    const refresh = nock(BASE).post('/oauth2/v1/tokens/bearer', /grant_type=refresh_token&refresh_token=rt/).reply(200, { access_token: 'at2', refresh_token: 'rt2', expires_in: 3600, x_refresh_token_expires_in: 8_726_400 });
    const error = await read().catch((e: unknown) => e);
    expect(refresh.isDone()).toBe(true);
    expect(error).toBeInstanceOf(AuthError);
  });

  it('warns ahead of the refresh token’s expiry', async () => {
    const warnings: string[] = [];
    const c = (await quickbooks.open(
      { name: 'qbo', connector: 'quickbooks', baseUrl: BASE, options: { realm_id: REALM, client_id: 'id', client_secret: 'secret', refresh_token: 'rt', token_url: `${BASE}/oauth2/v1/tokens/bearer` } },
      { warn: (m) => void warnings.push(m) },
    )) as QuickBooksClient;
    nock(BASE).post('/oauth2/v1/tokens/bearer').reply(200, { access_token: 'at2', refresh_token: 'rt2', expires_in: 3600, x_refresh_token_expires_in: 5 * 86_400 });
    query().reply(200, { QueryResponse: {} });
    for await (const _ of quickbooks.entities.customers!.read!(c, {})) break;
    expect(warnings).toEqual(["QuickBooks refresh token for 'qbo' expires in 5 days: reconnect the app before then"]);
  });
});
