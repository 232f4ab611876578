/** The QuickBooks emulator driven by the `node-quickbooks` SDK and by plain HTTP. */
import { createHmac } from 'node:crypto';
import QuickBooks from 'node-quickbooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickBooks, type RunningQuickBooks } from '../../../emulators/quickbooks/index.js';
import { startReceiver } from '../../support/webhook-receiver.js';

type Callback = (error: unknown, data: unknown) => void;
type Qbo = Record<string, (...args: unknown[]) => void> & { endpoint: string; token: string; refreshToken: string };

let emu: RunningQuickBooks;
let qbo: Qbo;

/** node-quickbooks is callback-only: wrap one call in a promise. */
function call<T = Record<string, unknown>>(method: string, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => qbo[method]!(...args, ((error, data) => (error ? reject(error) : resolve(data as T))) as Callback));
}

function client(token: string, refreshToken: string): Qbo {
  const c = new (QuickBooks as unknown as new (o: object) => Qbo)({
    consumerKey: emu.options.clientId,
    consumerSecret: emu.options.clientSecret,
    token,
    realmId: emu.options.realmId,
    useSandbox: false,
    minorversion: 75,
    oauthversion: '2.0',
    refreshToken,
  });
  c.endpoint = `${emu.url}/v3/company/`;
  return c;
}

beforeAll(async () => {
  emu = await startQuickBooks({ seed: 5, requestsPerMinute: 100_000, requestsPerSecond: 100_000 });
  (QuickBooks as unknown as { TOKEN_URL: string }).TOKEN_URL = `${emu.url}/oauth2/v1/tokens/bearer`;
  qbo = client(emu.options.accessToken!, emu.options.refreshToken);
});
afterAll(() => emu.close());

type Fault = { type: string; Error: { code: string; Message: string; Detail: string; element?: string }[] };
/** node-quickbooks hands back the body for a Fault inside a 200, and axios's error (body in `response.data`) for a 4xx. */
const faultOf = (error: unknown): Fault => {
  const e = error as { Fault?: Fault; response?: { data?: { Fault?: Fault } } };
  return (e.Fault ?? e.response?.data?.Fault)!;
};

describe('QuickBooks emulator', () => {
  let customerId: string;
  let itemId: string;

  it('creates customers and refuses a duplicate display name with fault 6240', async () => {
    const customer = await call<{ Id: string; SyncToken: string; DisplayName: string; Balance: number; MetaData: { CreateTime: string } }>('createCustomer', { DisplayName: 'Acme Ltd', PrimaryEmailAddr: { Address: 'ap@acme.test' } });
    expect(customer).toMatchObject({ DisplayName: 'Acme Ltd', SyncToken: '0', Balance: 0 });
    expect(customer.MetaData.CreateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-08:00$/);
    customerId = customer.Id;
    const duplicate = await call('createCustomer', { DisplayName: 'acme ltd' }).catch((e: unknown) => e);
    expect(faultOf(duplicate)).toMatchObject({ type: 'ValidationFault', Error: [{ code: '6240', element: 'DisplayName' }] });
  });

  it('refuses elements Intuit’s schema does not define, naming them', async () => {
    const error = await call('createCustomer', { DisplayName: 'X', Colour: 'red' }).catch((e: unknown) => e);
    expect(faultOf(error).Error[0]).toMatchObject({ code: '2010', element: 'Colour', Message: 'Request has invalid or unsupported property' });
  });

  it('creates an invoice with computed totals, a sub-total line, a document number and a due date from terms', async () => {
    itemId = (await call<{ Id: string }>('createItem', { Name: 'Widget', Sku: 'WID-1', Type: 'Service', UnitPrice: 19.99 })).Id;
    const invoice = await call<Record<string, unknown>>('createInvoice', {
      CustomerRef: { value: customerId },
      TxnDate: '2026-11-01',
      SalesTermRef: { value: '3' },
      Line: [
        { Amount: 59.97, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: 3, UnitPrice: 19.99 } },
        { Amount: 5, DetailType: 'DiscountLineDetail', DiscountLineDetail: { PercentBased: false } },
      ],
      TxnTaxDetail: { TotalTax: 4.5 },
    });
    expect(invoice).toMatchObject({ TotalAmt: 59.47, Balance: 59.47, DueDate: '2026-12-01', DocNumber: '1001', CustomerRef: { value: customerId, name: 'Acme Ltd' } });
    expect((invoice.Line as { DetailType: string; Amount: number }[]).at(-1)).toEqual({ Amount: 59.97, DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} });
    const wrongAmount = await call('createInvoice', { CustomerRef: { value: customerId }, Line: [{ Amount: 10, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: 3, UnitPrice: 19.99 } }] }).catch((e: unknown) => e);
    expect(faultOf(wrongAmount).Error[0]!.code).toBe('6070');
    const badRef = await call('createInvoice', { CustomerRef: { value: '999' }, Line: [{ Amount: 1, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: itemId } } }] }).catch((e: unknown) => e);
    expect(faultOf(badRef).Error[0]).toMatchObject({ code: '2500', element: 'CustomerRef' });
  });

  it('a stale SyncToken gets the real stale-object fault; the current one updates', async () => {
    const created = await call<{ Id: string; SyncToken: string }>('createInvoice', { CustomerRef: { value: customerId }, Line: [{ Amount: 10, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: itemId } } }] });
    const updated = await call<{ SyncToken: string; PrivateNote: string; TotalAmt: number }>('updateInvoice', { Id: created.Id, SyncToken: created.SyncToken, PrivateNote: 'first edit' });
    expect(updated).toMatchObject({ SyncToken: '1', PrivateNote: 'first edit', TotalAmt: 10 });
    const stale = await call('updateInvoice', { Id: created.Id, SyncToken: '0', PrivateNote: 'lost edit' }).catch((e: unknown) => e);
    expect(faultOf(stale)).toMatchObject({ type: 'ValidationFault', Error: [{ code: '5010', Message: 'Stale Object Error' }] });
  });

  it('payments reduce invoice balances through LinkedTxn, and never beyond the balance', async () => {
    const invoice = await call<{ Id: string; TotalAmt: number }>('createInvoice', { CustomerRef: { value: customerId }, Line: [{ Amount: 100, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: itemId } } }] });
    const payment = await call<{ Id: string; UnappliedAmt: number }>('createPayment', { CustomerRef: { value: customerId }, TotalAmt: 70, Line: [{ Amount: 60, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] });
    expect(payment.UnappliedAmt).toBe(10);
    const after = await call<{ Balance: number; LinkedTxn: unknown[] }>('getInvoice', invoice.Id);
    expect(after).toMatchObject({ Balance: 40, LinkedTxn: [{ TxnId: payment.Id, TxnType: 'Payment' }] });
    const over = await call('createPayment', { CustomerRef: { value: customerId }, TotalAmt: 50, Line: [{ Amount: 50, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] }).catch((e: unknown) => e);
    expect(faultOf(over).Error[0]!.code).toBe('6000');
  });

  it('answers queries with paging, Metadata.LastUpdatedTime filters and counts, as node-quickbooks asks them', async () => {
    for (let i = 0; i < 12; i++) await call('createCustomer', { DisplayName: `Query ${i}`, PrimaryEmailAddr: { Address: `q${i}@example.com` } });
    const page = await call<{ QueryResponse: { Customer: { DisplayName: string }[]; startPosition: number; maxResults: number } }>('findCustomers', [
      { field: 'DisplayName', value: 'Query%', operator: 'LIKE' },
      { field: 'limit', value: 5 },
      { field: 'offset', value: 6 },
    ]);
    expect(page.QueryResponse).toMatchObject({ startPosition: 6, maxResults: 5 });
    expect(page.QueryResponse.Customer.map((c) => c.DisplayName)).toEqual(['Query 5', 'Query 6', 'Query 7', 'Query 8', 'Query 9']);
    const all = await call<{ QueryResponse: { Customer: unknown[] } }>('findCustomers', [{ field: 'DisplayName', value: 'Query%', operator: 'LIKE' }, { field: 'fetchAll', value: true }, { field: 'limit', value: 5 }]);
    expect(all.QueryResponse.Customer).toHaveLength(12);
    const byEmail = await call<{ QueryResponse: { Customer: { DisplayName: string }[] } }>('findCustomers', { PrimaryEmailAddr: 'q3@example.com' });
    expect(byEmail.QueryResponse.Customer.map((c) => c.DisplayName)).toEqual(['Query 3']);

    const since = encodeURIComponent("select * from Customer where Metadata.LastUpdatedTime >= '2000-01-01T00:00:00-08:00' STARTPOSITION 1 MAXRESULTS 2");
    const raw = await fetch(`${emu.url}/v3/company/${emu.options.realmId}/query?query=${since}&minorversion=75`, { headers: { authorization: `Bearer ${qbo.token}`, accept: 'application/json' } });
    expect(((await raw.json()) as { QueryResponse: { Customer: unknown[] } }).QueryResponse.Customer).toHaveLength(2);
    const count = await call<{ QueryResponse: { totalCount: number } }>('findCustomers', { count: true, DisplayName: 'Query 1' });
    expect(count.QueryResponse.totalCount).toBe(1);
  });

  it('de-duplicates by requestid: a retried create returns the first answer and creates nothing', async () => {
    const body = { DisplayName: 'Retry Co' };
    const first = await call<{ Id: string }>('createCustomer', { ...body, requestId: 'req-0001' });
    const again = await call<{ Id: string }>('createCustomer', { ...body, requestId: 'req-0001' });
    expect(again.Id).toBe(first.Id);
    const found = await call<{ QueryResponse: { Customer?: unknown[] } }>('findCustomers', { DisplayName: 'Retry Co' });
    expect(found.QueryResponse.Customer).toHaveLength(1);
  });

  it('runs batches of up to 30 operations, each answered on its own, and refuses 31', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ bId: `b${i}`, operation: 'create', Customer: { DisplayName: i === 7 ? 'Acme Ltd' : `Batch ${i}` } }));
    const result = await call<{ BatchItemResponse: { bId: string; Customer?: { Id: string }; Fault?: { Error: { code: string }[] } }[] }>('batch', items);
    expect(result.BatchItemResponse).toHaveLength(30);
    expect(result.BatchItemResponse.filter((r) => r.Customer)).toHaveLength(29);
    expect(result.BatchItemResponse.find((r) => r.bId === 'b7')!.Fault!.Error[0]!.code).toBe('6240');
    const tooMany = await call('batch', [...items, { bId: 'b30', Query: 'select * from Customer' }]).catch((e: unknown) => e);
    expect(faultOf(tooMany).Error[0]!.code).toBe('5000');
  });

  it('expired access tokens get 401; the refresh-token grant rotates the refresh token, the old one working through its grace period only', async () => {
    emu.emulator.expireAccessTokens();
    const expired = await call('getCustomer', customerId).catch((e: unknown) => e);
    expect(faultOf(expired)).toMatchObject({ type: 'AUTHENTICATION', Error: [{ code: '3200' }] });
    const oldRefresh = qbo.refreshToken;
    const refreshed = await call<{ access_token: string; refresh_token: string; expires_in: number }>('refreshAccessToken');
    expect(refreshed.expires_in).toBe(3600);
    expect(refreshed.refresh_token).not.toBe(oldRefresh);
    expect(await call<{ Id: string }>('getCustomer', customerId)).toMatchObject({ Id: customerId });
    // Intuit keeps a superseded refresh token working for 24 hours (the default grace).
    expect((await refreshWith(emu, oldRefresh)).status).toBe(200);

    const strict = await startQuickBooks({ seed: 2, refreshTokenGraceSeconds: 0 });
    try {
      const first = await refreshWith(strict, strict.options.refreshToken);
      expect(first.status).toBe(200);
      const reuse = await refreshWith(strict, strict.options.refreshToken);
      expect(reuse.status).toBe(400);
      expect(await reuse.json()).toEqual({ error: 'invalid_grant' });
    } finally {
      await strict.close();
    }
  });
});

function refreshWith(running: RunningQuickBooks, refreshToken: string): Promise<Response> {
  return fetch(`${running.url}/oauth2/v1/tokens/bearer`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${running.options.clientId}:${running.options.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
}

describe('QuickBooks emulator webhooks', () => {
  it('notifies changes signed with intuit-signature', async () => {
    const receiver = await startReceiver();
    await fetch(`${emu.url}/__admin/webhooks`, { method: 'POST', body: JSON.stringify({ url: receiver.url, verifierToken: 'verifier-123' }) });
    const customer = await call<{ Id: string }>('createCustomer', { DisplayName: 'Hooked Co' });
    await emu.emulator.settled();
    await receiver.close();
    const received = receiver.received.map((r) => ({ body: r.body, signature: String(r.headers['intuit-signature']) }));
    expect(received).toHaveLength(1);
    expect(received[0]!.signature).toBe(createHmac('sha256', 'verifier-123').update(received[0]!.body).digest('base64'));
    expect(JSON.parse(received[0]!.body)).toMatchObject({ eventNotifications: [{ realmId: emu.options.realmId, dataChangeEvent: { entities: [{ name: 'Customer', id: customer.Id, operation: 'Create' }] } }] });
  });
});

describe('QuickBooks emulator throttles', () => {
  it('holds 500 requests a minute per realm under a burst of 1,000 concurrent requests', async () => {
    const limited = await startQuickBooks({ seed: 2, requestsPerSecond: 10_000 });
    try {
      const url = `${limited.url}/v3/company/${limited.options.realmId}/query?query=${encodeURIComponent('select * from Account')}`;
      const statuses = await Promise.all(Array.from({ length: 1_000 }, () => fetch(url, { headers: { authorization: `Bearer ${limited.options.accessToken}` } }).then((r) => r.status)));
      expect(statuses.filter((s) => s === 200)).toHaveLength(500);
      expect(statuses.filter((s) => s === 429)).toHaveLength(500);
    } finally {
      await limited.close();
    }
  });

  it('allows 40 batch requests a minute per realm', async () => {
    const limited = await startQuickBooks({ seed: 2, requestsPerMinute: 10_000, requestsPerSecond: 10_000 });
    try {
      const batch = () =>
        fetch(`${limited.url}/v3/company/${limited.options.realmId}/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${limited.options.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ BatchItemRequest: [{ bId: '1', Query: 'select * from TaxCode' }] }),
        }).then((r) => r.status);
      const statuses = await Promise.all(Array.from({ length: 45 }, batch));
      expect(statuses.filter((s) => s === 200)).toHaveLength(40);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    } finally {
      await limited.close();
    }
  });

  it('answers 429 beyond 10 requests a second, however quickly each is served', async () => {
    const limited = await startQuickBooks({ seed: 2 });
    try {
      const url = `${limited.url}/v3/company/${limited.options.realmId}/query?query=${encodeURIComponent('select * from Account')}`;
      const get = () => fetch(url, { headers: { authorization: `Bearer ${limited.options.accessToken}` } }).then((r) => r.status);
      // One at a time, so nothing is ever "at once": the eleventh within the second is still refused.
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push(await get());
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.slice(10)).toEqual([429, 429]);
    } finally {
      await limited.close();
    }
  });
});
