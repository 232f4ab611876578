/**
 * QuickBooks behaviours Ferry's correctness rests on, each as Intuit documents it (cited in the
 * emulator): document numbers with custom transaction numbers on and off, the 21-character limit,
 * minor versions below 75 served as 75, and at most 1,000 rows a query.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningQuickBooks, startQuickBooks } from '../../../emulators/quickbooks/index.js';

type Fault = { Fault: { type: string; Error: { code: string; element?: string; Detail: string }[] } };
type Json = Record<string, unknown>;

let emu: RunningQuickBooks | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function company(customTxnNumbers?: boolean) {
  emu = await startQuickBooks({ seed: 3, requestsPerMinute: 100_000, requestsPerSecond: 100_000, customTxnNumbers });
  const base = `/v3/company/${emu.options.realmId}`;
  const headers = { authorization: `Bearer ${emu.options.accessToken}` };
  const send = async (method: string, path: string, body?: unknown) => {
    const answer = await fetch(`${emu!.url}${base}${path}`, { method, headers: { ...headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: answer.status, body: (await answer.json()) as Json };
  };
  const customer = (await send('POST', '/customer', { DisplayName: 'Numbers Ltd' })).body.Customer as { Id: string };
  const item = (await send('POST', '/item', { Name: 'Widget', Type: 'Service', UnitPrice: 10 })).body.Item as { Id: string };
  const invoice = (DocNumber?: string) =>
    send('POST', '/invoice', { ...(DocNumber === undefined ? {} : { DocNumber }), CustomerRef: { value: customer.Id }, Line: [{ Amount: 10, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: 10 } }] });
  return { send, invoice };
}

describe('QuickBooks document numbers', () => {
  it('without custom transaction numbers (a new company): a sent DocNumber is kept, duplicates included; an absent one is numbered in sequence', async () => {
    const { send, invoice } = await company();
    expect((await send('GET', '/preferences')).body).toMatchObject({ Preferences: { SalesFormsPrefs: { CustomTxnNumbers: false } } });
    const first = await invoice('#1001');
    const second = await invoice('#1001');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([(first.body.Invoice as Json).DocNumber, (second.body.Invoice as Json).DocNumber]).toEqual(['#1001', '#1001']);
    const numbered = [(await invoice()).body.Invoice as Json, (await invoice('AUTO_GENERATE')).body.Invoice as Json];
    expect(numbered.map((i) => i.DocNumber)).toEqual(['1001', '1002']);
    const found = await send('GET', `/query?query=${encodeURIComponent("select * from Invoice where DocNumber = '#1001'")}`);
    expect((found.body.QueryResponse as { Invoice: Json[] }).Invoice).toHaveLength(2);
  });

  it('with custom transaction numbers: a number already used is refused (6140), and an absent one stays empty', async () => {
    const { send, invoice } = await company(true);
    expect((await send('GET', '/preferences')).body).toMatchObject({ Preferences: { SalesFormsPrefs: { CustomTxnNumbers: true } } });
    expect((await invoice('#1001')).status).toBe(200);
    const duplicate = await invoice('#1001');
    expect(duplicate.status).toBe(400);
    expect((duplicate.body as Fault).Fault.Error[0]).toMatchObject({ code: '6140', element: 'DocNumber' });
    expect(((await invoice()).body.Invoice as Json).DocNumber).toBeUndefined();
    expect(((await invoice('AUTO_GENERATE')).body.Invoice as Json).DocNumber).toBe('1001');
  });

  it('refuses a DocNumber longer than 21 characters, on either kind of company', async () => {
    for (const custom of [false, true]) {
      const { invoice } = await company(custom);
      expect((await invoice('x'.repeat(21))).status).toBe(200);
      const long = await invoice('x'.repeat(22));
      expect(long.status).toBe(400);
      expect((long.body as Fault).Fault.Error[0]).toMatchObject({ code: '2050', element: 'DocNumber', Detail: expect.stringContaining('Max:21 supported. Supplied length:22') });
      await emu!.close();
      emu = undefined;
    }
  });
});

describe('QuickBooks queries and versions', () => {
  it('serves a minor version below 75 as 75 instead of refusing it', async () => {
    const { send } = await company();
    const old = await send('GET', `/query?query=${encodeURIComponent('select * from Account')}&minorversion=65`);
    expect(old.status).toBe(200);
    expect((old.body.QueryResponse as { Account: unknown[] }).Account.length).toBeGreaterThan(0);
  });

  it('answers MAXRESULTS above 1,000 with at most 1,000 rows, and STARTPOSITION reaches the rest', async () => {
    const { send } = await company();
    for (let i = 0; i < 1_005; i++) emu!.emulator.books.create('Customer', { DisplayName: `Bulk ${i}` });
    const page = async (start: number) => (await send('GET', `/query?query=${encodeURIComponent(`select * from Customer startposition ${start} maxresults 5000`)}`)).body.QueryResponse as { Customer: Json[]; maxResults: number };
    const first = await page(1);
    expect([first.Customer.length, first.maxResults]).toEqual([1_000, 1_000]);
    expect((await page(1_001)).Customer).toHaveLength(1_006 - 1_000);
  });
});
