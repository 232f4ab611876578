/** The QuickBooks connector against the QuickBooks emulator, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickbooks } from '../../../connectors/quickbooks/index.js';
import type { QuickBooksClient } from '../../../connectors/quickbooks/client.js';
import type { ConnectionSettings, WriteItem } from '../../../src/connector/types.js';
import { AuthError, PermanentError } from '../../../src/errors.js';
import { startQuickBooks, type RunningQuickBooks } from '../../../emulators/quickbooks/index.js';
import { NO_FAULTS } from '../../../emulators/core/faults.js';

let emu: RunningQuickBooks;
const saved = new Map<string, string>();
const warnings: string[] = [];

function settings(overrides: Record<string, unknown> = {}): ConnectionSettings {
  return {
    name: 'qbo',
    connector: 'quickbooks',
    baseUrl: emu.url,
    options: { realm_id: emu.options.realmId, client_id: emu.options.clientId, client_secret: emu.options.clientSecret, refresh_token: emu.options.refreshToken, token_url: `${emu.url}/oauth2/v1/tokens/bearer`, ...overrides },
  };
}

const context = {
  saveSecret: async (connection: string, key: string, value: string) => void saved.set(`${connection}:${key}`, value),
  loadSecret: async (connection: string, key: string) => saved.get(`${connection}:${key}`),
  warn: (message: string) => void warnings.push(message),
};

async function open(overrides: Record<string, unknown> = {}): Promise<QuickBooksClient> {
  return quickbooks.open(settings(overrides), context) as Promise<QuickBooksClient>;
}

const item = (sourceId: string, payload: Record<string, unknown>, extra: Partial<WriteItem> = {}): WriteItem => ({ sourceId, idempotencyKey: `k-${sourceId}`, payload, ...extra });

beforeAll(async () => {
  emu = await startQuickBooks({ seed: 21, requestsPerMinute: 100_000, requestsPerSecond: 100_000, batchesPerMinute: 100_000 });
});
afterAll(() => emu.close());

describe('QuickBooks connector', () => {
  it('refreshes the access token on first use and saves the rotated refresh token before using it', async () => {
    saved.clear();
    const client = await open();
    const customers = quickbooks.entities.customers!;
    await customers.write!(client, [item('1', { DisplayName: 'Refresh Co' })]);
    expect(saved.get('qbo:refresh_token')).toMatch(/^AB11/);
    expect(saved.get('qbo:refresh_token')).not.toBe(emu.options.refreshToken);
    expect(emu.emulator.refreshCount).toBe(1);
  });

  it('refreshes once for many concurrent 401s, and uses the saved token after a restart', async () => {
    const client = await open();
    emu.emulator.expireAccessTokens();
    const before = emu.emulator.refreshCount;
    const customers = quickbooks.entities.customers!;
    await Promise.all([1, 2, 3, 4, 5].map((n) => customers.write!(client, [item(`c${n}`, { DisplayName: `Concurrent ${n}` })])));
    expect(emu.emulator.refreshCount).toBe(before + 1);
  });

  it('says how to reconnect when the refresh token is refused', async () => {
    const stranger = await quickbooks.open({ ...settings({ refresh_token: 'AB11-revoked' }), name: 'other' }, context);
    const error = await quickbooks.entities.customers!.write!(stranger, [item('x', { DisplayName: 'Nope' })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toMatch(/invalid_grant.*reconnect the app/);
    expect((error as Error).message).not.toContain('AB11-revoked');
  });

  it('creates, then updates the same record with its current SyncToken, without duplicates', async () => {
    const client = await open();
    const customers = quickbooks.entities.customers!;
    const [created] = await customers.write!(client, [item('u1', { DisplayName: 'Upsert Ltd', PrimaryEmailAddr: { Address: 'u@x.test' } }, { match: { field: 'PrimaryEmailAddr', value: 'u@x.test' } })]);
    expect(created).toMatchObject({ ok: true, action: 'created' });
    const id = (created as { targetId: string }).targetId;
    const [updated] = await customers.write!(client, [item('u1', { DisplayName: 'Upsert Ltd', GivenName: 'Una' }, { targetId: id })]);
    expect(updated).toEqual({ ok: true, action: 'updated', targetId: id, version: '1' });
    const [matched] = await customers.write!(client, [item('u1', { DisplayName: 'Upsert Ltd', FamilyName: 'Smith' }, { match: { field: 'PrimaryEmailAddr', value: 'u@x.test' } })]);
    expect(matched).toEqual({ ok: true, action: 'updated', targetId: id, version: '2' });
    const found = await customers.get!(client, [id]);
    expect(found[0]).toMatchObject({ GivenName: 'Una', FamilyName: 'Smith', SyncToken: '2' });
    expect(customers.version!(found[0]!)).toBe('2');
  });

  it('a retried create finds what the first attempt made (lost answer), through the natural key', async () => {
    const client = await open();
    const invoices = quickbooks.entities.invoices!;
    const customers = quickbooks.entities.customers!;
    const [customer] = await customers.write!(client, [item('inv-c', { DisplayName: 'Invoice Buyer' })]);
    const customerId = (customer as { targetId: string }).targetId;
    const items = quickbooks.entities.items!;
    const [widget] = await items.write!(client, [item('w', { Name: 'Widget', Type: 'Service', UnitPrice: 10 })]);
    const payload = { DocNumber: '#1001', CustomerRef: { value: customerId }, Line: [{ Amount: 20, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: (widget as { targetId: string }).targetId }, Qty: 2, UnitPrice: 10 } }] };
    const [first] = await invoices.write!(client, [item('o1', payload)]);
    const [again] = await invoices.write!(client, [item('o1', payload, { retry: true })]);
    expect(again).toMatchObject({ ok: true, action: 'updated', targetId: (first as { targetId: string }).targetId });
    expect(await invoices.find!(client, item('o1', payload))).toBe((first as { targetId: string }).targetId);
  });

  it('paces itself to 10 requests a second: 40 lookups at once against a realm that allows 10 a second get no 429', async () => {
    const paced = await startQuickBooks({ seed: 23 });
    try {
      const client = (await quickbooks.open({ ...settings(), baseUrl: paced.url, options: { ...settings().options, realm_id: paced.options.realmId, token_url: `${paced.url}/oauth2/v1/tokens/bearer` } }, { ...context, loadSecret: async () => undefined })) as QuickBooksClient;
      const customers = quickbooks.entities.customers!;
      const found = await Promise.all(Array.from({ length: 40 }, (_, i) => customers.find!(client, item(`pace-${i}`, { DisplayName: `Nobody ${i}` }, { match: { field: 'DisplayName', value: `Nobody ${i}` } }))));
      const requests = (await paced.server.inject('GET', '/__admin/requests')).body as { byStatus: Record<string, number> };
      expect(found.every((id) => id === undefined)).toBe(true);
      expect(requests.byStatus['200']).toBeGreaterThanOrEqual(40);
      expect(requests.byStatus['429']).toBeUndefined();
    } finally {
      await paced.close();
    }
  });

  it('refuses to guess when a company without custom transaction numbers holds the same DocNumber twice', async () => {
    const client = await open();
    const [buyer] = await quickbooks.entities.customers!.write!(client, [item('dup-c', { DisplayName: 'Twice Numbered' })]);
    const [widget] = await quickbooks.entities.items!.write!(client, [item('dup-w', { Name: 'Twice Widget', Type: 'Service', UnitPrice: 5 })]);
    const payload = { DocNumber: '#2002', CustomerRef: { value: (buyer as { targetId: string }).targetId }, Line: [{ Amount: 5, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: (widget as { targetId: string }).targetId }, Qty: 1, UnitPrice: 5 } }] };
    const invoices = quickbooks.entities.invoices!;
    // Someone keyed the same number by hand: QuickBooks keeps both.
    await invoices.write!(client, [item('by-hand-1', payload)]);
    await invoices.write!(client, [item('by-hand-2', payload)]);
    const [matched] = await invoices.write!(client, [item('o2002', payload, { match: { field: 'DocNumber', value: '#2002' } })]);
    expect(matched).toMatchObject({ ok: false, error: { code: 'ambiguous-match', message: expect.stringMatching(/^QuickBooks has 2 Invoice records with DocNumber '#2002' \(Ids \d+, \d+\); Ferry will not choose one/) } });
    await expect(invoices.find!(client, item('o2002', payload, { match: { field: 'DocNumber', value: '#2002' } }))).rejects.toMatchObject({ code: 'ambiguous-match' });
  });

  it('a batch whose answer was lost is resent with the same requestid: QuickBooks answers as before, with no second payment', async () => {
    const client = await open();
    const [payer] = await quickbooks.entities.customers!.write!(client, [item('lost-c', { DisplayName: 'Lost Answer Payer' })]);
    const customerId = (payer as { targetId: string }).targetId;
    // No PaymentRefNum: nothing but the requestid can tell QuickBooks this is the same payment.
    const payment = item('pay-1', { CustomerRef: { value: customerId }, TotalAmt: 25 });
    const payments = quickbooks.entities.payments!;
    emu.server.setFaults({ ...NO_FAULTS, lost: 1 });
    try {
      await expect(payments.write!(client, [payment])).rejects.toThrow();
    } finally {
      emu.server.setFaults(NO_FAULTS);
    }
    const [resent] = await payments.write!(client, [{ ...payment, retry: true }]);
    expect(resent).toMatchObject({ ok: true, action: 'created' });
    const stored = await client.call<{ QueryResponse: { Payment?: { Id: string }[] } }>('findPayments', `where CustomerRef = '${customerId}'`);
    expect(stored.QueryResponse.Payment?.map((p) => p.Id)).toEqual([(resent as { targetId: string }).targetId]);
    // A write under a new key is a new payment, as it should be.
    await payments.write!(client, [item('pay-1', payment.payload, { idempotencyKey: 'k-pay-1-attempt-2' })]);
    const after = await client.call<{ QueryResponse: { Payment?: unknown[] } }>('findPayments', `where CustomerRef = '${customerId}'`);
    expect(after.QueryResponse.Payment).toHaveLength(2);
  });

  it('one refused item does not fail its neighbours, and keeps QuickBooks’ code and field', async () => {
    const client = await open();
    const results = await quickbooks.entities.customers!.write!(client, [item('a', { DisplayName: 'Good One' }), item('b', { DisplayName: 'Bad', Colour: 'red' }), item('c', { DisplayName: 'Good Two' })]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const error = (results[1] as { error: PermanentError }).error;
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: '2010', field: 'Colour' });
  });

  it('finds what a company keeps by name for $ref, and says which lists it can name', async () => {
    const client = await open();
    const terms = (await client.call<{ QueryResponse: { Term: { Id: string; Name: string }[] } }>('findTerms', '')).QueryResponse.Term;
    expect(await quickbooks.reference!(client, 'Term', 'Net 30')).toBe(terms.find((t) => t.Name === 'Net 30')!.Id);
    expect(await quickbooks.reference!(client, 'Account', 'Undeposited Funds')).toMatch(/^\d+$/);
    expect(await quickbooks.reference!(client, 'Term', "Net 45's")).toBeUndefined();
    await expect(quickbooks.reference!(client, 'Vendor', 'Acme')).rejects.toThrow("$ref: QuickBooks keeps no 'Vendor' by name here (Term, Account, PaymentMethod, TaxCode, Class, Department, Item)");
  });

  it('reads incrementally by Metadata.LastUpdatedTime, oldest first', async () => {
    const client = await open();
    const since = new Date(Date.now() - 1000);
    await quickbooks.entities.customers!.write!(client, [item('r1', { DisplayName: 'Recent Reader' })]);
    const pages = [];
    for await (const page of quickbooks.entities.customers!.read!(client, { since })) pages.push(...page.records);
    expect(pages.map((r) => r.DisplayName)).toContain('Recent Reader');
    const times = pages.map((r) => Date.parse(String((r.MetaData as { LastUpdatedTime: string }).LastUpdatedTime)));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe('QuickBooks connector: a company with custom transaction numbers', () => {
  it('a create under a new key, refused as a duplicate number (6140), leads to the record an earlier attempt made', async () => {
    const custom = await startQuickBooks({ seed: 22, requestsPerMinute: 100_000, batchesPerMinute: 100_000, customTxnNumbers: true });
    try {
      const client = (await quickbooks.open({ ...settings(), baseUrl: custom.url, options: { ...settings().options, realm_id: custom.options.realmId, token_url: `${custom.url}/oauth2/v1/tokens/bearer` } }, { ...context, loadSecret: async () => undefined })) as QuickBooksClient;
      const [buyer] = await quickbooks.entities.customers!.write!(client, [item('c', { DisplayName: 'Numbered Buyer' })]);
      const [widget] = await quickbooks.entities.items!.write!(client, [item('w', { Name: 'Numbered Widget', Type: 'Service', UnitPrice: 10 })]);
      const payload = { DocNumber: '#3003', CustomerRef: { value: (buyer as { targetId: string }).targetId }, Line: [{ Amount: 10, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: (widget as { targetId: string }).targetId }, Qty: 1, UnitPrice: 10 } }] };
      const invoices = quickbooks.entities.invoices!;
      const [first] = await invoices.write!(client, [item('o3', payload)]);
      const [later] = await invoices.write!(client, [item('o3', payload, { idempotencyKey: 'k-o3-attempt-2' })]);
      expect(later).toMatchObject({ ok: true, action: 'updated', targetId: (first as { targetId: string }).targetId });
    } finally {
      await custom.close();
    }
  });
});

describe('QuickBooks connector: a reconnected app', () => {
  it('falls back to the configured refresh token when the saved one is refused', async () => {
    saved.set('qbo:refresh_token', 'AB11-stale-saved-token');
    const fresh = await startQuickBooks({ seed: 22 });
    try {
      const client = await quickbooks.open({ name: 'qbo', connector: 'quickbooks', baseUrl: fresh.url, options: { realm_id: fresh.options.realmId, client_id: fresh.options.clientId, client_secret: fresh.options.clientSecret, refresh_token: fresh.options.refreshToken, token_url: `${fresh.url}/oauth2/v1/tokens/bearer` } }, context);
      const [result] = await quickbooks.entities.customers!.write!(client, [item('z', { DisplayName: 'Reconnected' })]);
      expect(result).toMatchObject({ ok: true });
      expect(saved.get('qbo:refresh_token')).not.toBe('AB11-stale-saved-token');
    } finally {
      await fresh.close();
      ((await import('node-quickbooks')).default as unknown as { TOKEN_URL: string }).TOKEN_URL = `${emu.url}/oauth2/v1/tokens/bearer`;
    }
  });
});
