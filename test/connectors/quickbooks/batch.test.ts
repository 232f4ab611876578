/**
 * QuickBooks with recorded answers replayed by nock: reads page by `startposition` from the cursor;
 * an update carries the SyncToken a lookup query found (one `in (…)` query per field, not a batch), a
 * stale-token refusal (fault 5010) is re-read and sent once more; 65 creates go out as batches of 30, 30 and 5; write batches carry a
 * `requestid` that repeats only when the same writes are resent.
 */
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import type { QuickBooksClient } from '../../../connectors/quickbooks/client.js';
import { quickbooks } from '../../../connectors/quickbooks/index.js';
import type { WriteItem } from '../../../src/connector/types.js';

const BASE = 'https://qbo.test';
const REALM = '123';
const open = async () =>
  (await quickbooks.open(
    { name: 'qbo', connector: 'quickbooks', baseUrl: BASE, options: { realm_id: REALM, client_id: 'id', client_secret: 'secret', refresh_token: 'rt', access_token: 'at', token_url: `${BASE}/oauth2/v1/tokens/bearer`, requests_per_minute: 100_000, batches_per_minute: 100_000 } },
    {},
  )) as QuickBooksClient;
const item = (sourceId: string, payload: Record<string, unknown>, extra: Partial<WriteItem> = {}): WriteItem => ({ sourceId, idempotencyKey: `k-${sourceId}`, payload, ...extra });
type BatchRequest = { BatchItemRequest: (Record<string, unknown> & { bId: string; operation?: string })[] };
const customer = (id: string, syncToken: string, name: string) => ({ Id: id, SyncToken: syncToken, DisplayName: name, MetaData: { CreateTime: '2026-11-01T00:00:00-07:00', LastUpdatedTime: '2026-11-22T00:00:00-08:00' } });

afterEach(() => nock.cleanAll());

describe('QuickBooks batch writes', () => {
  it('re-reads a stale SyncToken (fault 5010) and sends the update once more', async () => {
    const sent: string[] = [];
    const updates: BatchRequest[] = [];
    const found = [customer('7', '1', 'Acme'), customer('7', '2', 'Acme')];
    const answers = [
      { BatchItemResponse: [{ bId: '0', Fault: { type: 'ValidationFault', Error: [{ Message: 'Stale Object Error', Detail: 'Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.', code: '5010', element: '' }] } }] },
      { BatchItemResponse: [{ bId: '0', Customer: customer('7', '3', 'Acme Ltd') }] },
    ];
    nock(BASE)
      .persist()
      .get(`/v3/company/${REALM}/query`)
      .query(true)
      .reply((uri) => {
        sent.push(new URL(uri, BASE).searchParams.get('query')!);
        return [200, { QueryResponse: { Customer: [found.shift()], startPosition: 1, maxResults: 1 } }];
      })
      .post(`/v3/company/${REALM}/batch`)
      .query(true)
      .reply((_, body) => {
        updates.push(body as BatchRequest);
        sent.push(updates.at(-1)!.BatchItemRequest[0]!.operation!);
        return [200, answers[updates.length - 1]];
      });
    const [result] = await quickbooks.entities.customers!.write!(await open(), [item('a', { DisplayName: 'Acme Ltd' }, { targetId: '7' })]);
    expect(result).toEqual({ ok: true, targetId: '7', action: 'updated', version: '3' });
    const byId = "select * from customer where Id in ('7') maxresults 1000";
    expect(sent).toEqual([byId, 'update', byId, 'update']);
    expect(updates[0]!.BatchItemRequest[0]!.Customer).toMatchObject({ Id: '7', SyncToken: '1', sparse: true, DisplayName: 'Acme Ltd' });
    expect(updates[1]!.BatchItemRequest[0]!.Customer).toMatchObject({ Id: '7', SyncToken: '2', sparse: true });
  });

  it('a second stale refusal stands: the record fails, it is not retried forever', async () => {
    const stale = { BatchItemResponse: [{ bId: '0', Fault: { type: 'ValidationFault', Error: [{ Message: 'Stale Object Error', Detail: 'Stale Object Error', code: '5010', element: '' }] } }] };
    let lookups = 0;
    let writes = 0;
    nock(BASE)
      .persist()
      .get(`/v3/company/${REALM}/query`)
      .query(true)
      .reply(() => [200, { QueryResponse: { Customer: [customer('7', String(++lookups), 'Acme')] } }])
      .post(`/v3/company/${REALM}/batch`)
      .query(true)
      .reply(() => [200, (writes++, stale)]);
    const [result] = await quickbooks.entities.customers!.write!(await open(), [item('a', { DisplayName: 'Acme Ltd' }, { targetId: '7' })]);
    expect(result).toMatchObject({ ok: false, error: { code: '5010' } });
    expect([lookups, writes]).toEqual([2, 2]);
  });

  it('finds the records a batch names with one query per field, not a batch of lookups, matching names as QuickBooks does (any case)', async () => {
    const queries: string[] = [];
    let batches = 0;
    nock(BASE)
      .persist()
      .get(`/v3/company/${REALM}/query`)
      .query(true)
      .reply((uri) => {
        queries.push(new URL(uri, BASE).searchParams.get('query')!);
        return [200, { QueryResponse: { Customer: queries.at(-1)!.includes('DisplayName') ? [customer('8', '4', 'ACME')] : [customer('7', '1', 'Beta')] } }];
      })
      .post(`/v3/company/${REALM}/batch`)
      .query(true)
      .reply((_, body) => {
        batches++;
        const requests = (body as BatchRequest).BatchItemRequest;
        return [200, { BatchItemResponse: requests.map((r) => ({ bId: r.bId, Customer: { ...(r.Customer as object), Id: (r.Customer as { Id?: string }).Id ?? '9', SyncToken: '5' } })) }];
      });
    const results = await quickbooks.entities.customers!.write!(await open(), [
      item('a', { DisplayName: 'Acme' }, { match: { field: 'DisplayName', value: 'Acme' } }),
      item('b', { DisplayName: 'Beta' }, { targetId: '7' }),
      item('c', { DisplayName: "O'Brien" }, { match: { field: 'DisplayName', value: "O'Brien" } }),
    ]);
    expect(queries).toEqual(["select * from customer where DisplayName in ('Acme', 'O\\'Brien') maxresults 1000", "select * from customer where Id in ('7') maxresults 1000"]);
    expect(batches).toBe(1);
    expect(results.map((r) => r.ok && [r.targetId, r.action])).toEqual([['8', 'updated'], ['7', 'updated'], ['9', 'created']]);
  });

  it('sends at most 30 operations a batch, as QuickBooks allows', async () => {
    const sizes: number[] = [];
    nock(BASE)
      .persist()
      .post(`/v3/company/${REALM}/batch`)
      .query(true)
      .reply((_, body) => {
        const requests = (body as BatchRequest).BatchItemRequest;
        sizes.push(requests.length);
        return [200, { BatchItemResponse: requests.map((r) => ({ bId: r.bId, Customer: customer(String(1000 + Number(r.bId)), '0', String((r.Customer as { DisplayName: string }).DisplayName)) })) }];
      });
    const client = await open();
    const customers = quickbooks.entities.customers!;
    const results = await customers.write!(client, Array.from({ length: 65 }, (_, i) => item(`c${i}`, { DisplayName: `Customer ${i}` })));
    expect(results.filter((r) => r.ok)).toHaveLength(65);
    expect(sizes).toEqual([30, 30, 5]);
  });

  it('a write batch carries a requestid made from its writes', async () => {
    const seen: { requestId: string | undefined; first: string }[] = [];
    let syncToken = 1;
    nock(BASE)
      .persist()
      .get(`/v3/company/${REALM}/query`)
      .query(true)
      .reply(() => [200, { QueryResponse: { Customer: [customer('7', String(syncToken), 'Acme')] } }])
      .post(`/v3/company/${REALM}/batch`)
      .query(true)
      .reply(function (_, body) {
        const first = (body as BatchRequest).BatchItemRequest[0]!;
        seen.push({ requestId: new URL(this.req.path, BASE).searchParams.get('requestid') ?? undefined, first: first.operation! });
        return [200, { BatchItemResponse: [{ bId: first.bId, Customer: customer('7', String(++syncToken), 'Acme') }] }];
      });
    const client = await open();
    const customers = quickbooks.entities.customers!;
    await customers.write!(client, [item('n', { DisplayName: 'New' })]);
    await customers.write!(client, [item('n', { DisplayName: 'New' })]);
    await customers.write!(client, [item('n', { DisplayName: 'New' }, { idempotencyKey: 'k-n-2' })]);
    await customers.write!(client, [item('a', { DisplayName: 'Acme' }, { targetId: '7' })]);
    await customers.write!(client, [item('a', { DisplayName: 'Acme' }, { targetId: '7' })]);
    const [create, resent, newKey, update, secondUpdate] = seen;
    expect(create).toMatchObject({ first: 'create', requestId: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(resent!.requestId).toBe(create!.requestId);
    expect(newKey!.requestId).not.toBe(create!.requestId);
    // The second update goes out on the SyncToken the first one left: a new request, never a replay.
    expect(update!.first).toBe('update');
    expect(secondUpdate!.first).toBe('update');
    expect(secondUpdate!.requestId).not.toBe(update!.requestId);
  });

  it('reads changes since the cursor, oldest first, 1,000 a page by startposition', async () => {
    const queries: string[] = [];
    const page = (from: number, count: number) => Array.from({ length: count }, (_, i) => customer(String(from + i), '0', `C${from + i}`));
    nock(BASE)
      .persist()
      .get(`/v3/company/${REALM}/query`)
      .query(true)
      .reply((uri) => {
        const query = new URL(uri, BASE).searchParams.get('query')!;
        queries.push(query);
        const start = Number(/startposition (\d+)/i.exec(query)![1]);
        return [200, { QueryResponse: { Customer: start === 1 ? page(1, 1000) : page(1001, 2), startPosition: start, maxResults: start === 1 ? 1000 : 2 } }];
      });
    let read = 0;
    for await (const p of quickbooks.entities.customers!.read!(await open(), { since: new Date('2026-11-20T00:00:00Z') })) read += p.records.length;
    expect(read).toBe(1002);
    expect(queries).toEqual([
      "select * from customer where Metadata.LastUpdatedTime >= '2026-11-20T00:00:00+00:00' orderby Metadata.LastUpdatedTime asc startposition 1 maxresults 1000",
      "select * from customer where Metadata.LastUpdatedTime >= '2026-11-20T00:00:00+00:00' orderby Metadata.LastUpdatedTime asc startposition 1001 maxresults 1000",
    ]);
  });
});
