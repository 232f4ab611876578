/**
 * The ledger's disk fills up in the middle of a run. SQLite itself refuses to grow the file
 * (`max_page_count` capped at the current size: the same SQLITE_FULL a full disk gives), after the
 * target has already accepted part of the batch. The run must stop with a clear error, no record may be
 * marked synced that the target does not have, and once there is room again the next run completes with
 * every record written exactly once.
 */
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../support/memory-connector.js';
import { CUSTOMERS_FLOW, customers, flowFrom, Harness } from '../support/harness.js';

const RECORDS = 2_000;

describe('a full disk under the ledger', () => {
  it('stops the run cleanly, marks nothing synced that was not, and the next run completes', async () => {
    const h = new Harness(createMemoryStore(100));
    h.addSource('customers', customers(RECORDS));
    const flow = flowFrom(CUSTOMERS_FLOW);
    const db = (h.ledger as unknown as { db: Database.Database }).db;
    let accepted = 0;
    h.store.fault = () => {
      // The target has taken 300 items when the disk fills: the ledger can grow no more.
      if (++accepted === 300) db.pragma(`max_page_count = ${String(db.pragma('page_count', { simple: true }))}`);
      return undefined;
    };

    const failed = await h.run(flow);
    expect(failed.status).toBe('failed');
    expect(failed.message).toMatch(/full/i);

    const accounts = h.target('accounts');
    const byEmail = new Set([...accounts.values()].map((a) => a.Email));
    const synced = await h.ledger.listRecords(flow.name, { statuses: ['synced'] });
    for (const record of synced) expect(byEmail.has(`c${record.sourceId}@example.com`), record.sourceId).toBe(true);
    expect(synced.length).toBeLessThan(RECORDS);
    expect(accounts.size).toBeGreaterThan(synced.length - 1);

    // Room again: the next run settles what the last one left and writes the rest, each record once.
    db.pragma('max_page_count = 1073741823');
    const resumed = await h.run(flow);
    expect(resumed.status).toBe('succeeded');
    expect(h.target('accounts').size).toBe(RECORDS);
    expect(new Set([...h.target('accounts').values()].map((a) => a.Email)).size).toBe(RECORDS);
    expect(await h.ledger.countByStatus(flow.name)).toMatchObject({ synced: RECORDS, pending: 0, failed: 0, dead: 0 });
  });
});
