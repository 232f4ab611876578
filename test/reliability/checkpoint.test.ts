/**
 * Checkpoints: when some records of a page fail (the target is busy for them past the flow's retries),
 * the saved cursor never moves past a record that was neither synced nor dead-lettered, so the next run
 * reads those records from the source again, and the next run after the target recovers syncs them once.
 */
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { createMemoryStore } from '../support/memory-connector.js';
import { CUSTOMERS_FLOW, customers, flowFrom, Harness } from '../support/harness.js';

const RECORDS = 1_000;
const unlucky = (email: unknown) => Number(/c(\d+)@/.exec(String(email))?.[1]) % 97 === 0;

describe('checkpoints with part of a page failing', () => {
  it('never saves a cursor past a failed record, and reads it again next run', async () => {
    const h = new Harness(createMemoryStore(100));
    const records = customers(RECORDS);
    h.addSource('customers', records);
    const flow = flowFrom(CUSTOMERS_FLOW);
    let targetDown = true;
    h.store.fault = (item) => (targetDown && unlucky(item.payload.Email) ? { ok: false, error: new TransientError('503 Service Unavailable', { status: 503 }) } : undefined);

    const first = await h.run(flow);
    const failed = records.filter((r) => unlucky(r.email));
    expect(first.counts).toMatchObject({ created: RECORDS - failed.length, failed: failed.length });
    const cursor = await h.ledger.getCursor(flow.name);
    expect(Date.parse(cursor!)).toBeLessThanOrEqual(Date.parse(String(failed[0]!.updated_at)));
    expect(Date.parse(cursor!)).toBeLessThan(Date.parse(String(records.at(-1)!.updated_at)));

    // The target is back. The next run's read starts at or before the first failed record.
    targetDown = false;
    const second = await h.run(flow);
    expect(h.store.readsSince.at(-1)!.getTime()).toBeLessThanOrEqual(Date.parse(String(failed[0]!.updated_at)));
    expect(second.counts).toMatchObject({ created: failed.length, failed: 0 });
    expect(h.target('accounts').size).toBe(RECORDS);
    expect(Date.parse((await h.ledger.getCursor(flow.name))!)).toBe(Date.parse(String(records.at(-1)!.updated_at)));
    expect(await h.ledger.countByStatus(flow.name)).toMatchObject({ synced: RECORDS, failed: 0, pending: 0 });
  });
});
