import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isAbandoned, newLockOwner } from '../../src/engine/lock-owner.js';
import { describe, expect, it } from 'vitest';
import type { Settlement } from '../../src/ledger/ledger.js';
import { emptyCounts } from '../../src/ledger/ledger.js';
import { MIGRATIONS } from '../../src/ledger/migrations.js';
import { StaleLockError } from '../../src/errors.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { tempDir } from '../support/harness.js';

const synced = (sourceId: string, targetId: string): Settlement => ({
  sourceId,
  status: 'synced',
  action: 'created',
  targetId,
  sourceHash: `h${sourceId}`,
  outputHash: `o${sourceId}`,
  flowVersion: 'v1',
  crossReference: { from: `shopify/orders/${sourceId}`, to: `quickbooks/invoices/${targetId}` },
});

describe('SQLite ledger', () => {
  it('is created owner-only, in WAL mode with full sync, at the current schema version', async () => {
    const path = join(tempDir(), 'nested', 'ledger.db');
    const ledger = new SqliteLedger(path);
    await ledger.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: MIGRATIONS.at(-1)!.version });
    db.close();
    // Re-opening applies nothing twice.
    await new SqliteLedger(path).close();
  });

  it('refuses a ledger written by a newer Ferry', () => {
    const path = join(tempDir(), 'ledger.db');
    new SqliteLedger(path);
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01')").run();
    db.close();
    expect(() => new SqliteLedger(path)).toThrow(/newer Ferry \(schema 99/);
  });

  it('settles a batch in one transaction: a failure part-way leaves no row half-written', async () => {
    const ledger = new SqliteLedger(join(tempDir(), 'ledger.db'));
    const run = await ledger.startRun('orders', 'manual');
    const poisoned = { ...synced('2', '11'), status: 'bogus' } as unknown as Settlement;
    await expect(ledger.settle(run, 'orders', [synced('1', '10'), poisoned])).rejects.toThrow(/CHECK constraint/);
    expect(await ledger.getRecords('orders', ['1', '2'])).toEqual([]);
    expect(await ledger.events('orders', '1')).toEqual([]);
    expect(await ledger.crossReferences('shopify/orders/1')).toEqual([]);
  });

  it('keeps state, history and cross-references per record', async () => {
    const ledger = new SqliteLedger(join(tempDir(), 'ledger.db'));
    const run = await ledger.startRun('orders', 'manual');
    await ledger.markPending(run, 'orders', [
      { sourceId: '1', idempotencyKey: 'k1', inLedger: false, sourceHash: 'h1', outputHash: 'o1', flowVersion: 'v1', source: { id: 1 }, payload: { Amount: 5 }, payloadJson: '{"Amount":5}' },
    ]);
    await ledger.settle(run, 'orders', [{ ...synced('1', '10'), attempts: 2 }]);
    const [state] = await ledger.getRecords('orders', ['1']);
    expect(state).toMatchObject({ status: 'synced', targetId: '10', attempts: 2, outputHash: 'o1' });
    expect(state.payload).toBeUndefined(); // not kept once synced
    expect(await ledger.findTarget('orders', '1')).toBe('10');
    expect(await ledger.events('orders', '1')).toEqual([{ id: 0, flow: 'orders', sourceId: '1', runId: run, at: state!.firstSyncedAt, kind: 'created', detail: { targetId: '10', attempts: 2 } }]);
    await ledger.settle(run, 'orders', [{ ...synced('1', '10'), action: 'updated', attempts: 1 }]);
    const history = await ledger.events('orders', '1');
    expect(history.map((e) => [e.kind, e.detail])).toEqual([['created', { targetId: '10', attempts: 2 }], ['updated', { targetId: '10', attempts: 1 }]]);
    expect(history[1]!.id).toBeGreaterThan(history[0]!.id);
    expect(await ledger.crossReferences('quickbooks/invoices/10')).toEqual([{ key: 'shopify/orders/1', flow: 'orders', direction: 'from', at: expect.any(String) }]);
    await ledger.finishRun(run, 'succeeded', { ...emptyCounts(), read: 1, created: 1 });
    expect((await ledger.listRuns({ flow: 'orders' }))[0]).toMatchObject({ status: 'succeeded', counts: { read: 1, created: 1 } });
  });

  it('reserves a page of writes as one intent; what a run leaves unsettled becomes pending when it ends, or after a crash when the next run starts', async () => {
    const path = join(tempDir(), 'ledger.db');
    const ledger = new SqliteLedger(path);
    const intents = () => (ledger as unknown as { db: Database.Database }).db.prepare('SELECT COUNT(*) AS n FROM write_intents').get();
    const reserve = (id: string, key = `k${id}`) => ({ sourceId: id, idempotencyKey: key, inLedger: key !== `k${id}`, sourceHash: `h${id}`, outputHash: `o${id}`, flowVersion: 'v1', source: { id }, payload: { Amount: Number(id) }, payloadJson: JSON.stringify({ Amount: Number(id) }) });
    const pending = async () => (await ledger.listRecords('orders', { statuses: ['pending'] })).map((r) => [r.sourceId, r.idempotencyKey, r.payload?.Amount]);

    let run = await ledger.startRun('orders', 'manual');
    await ledger.markPending(run, 'orders', ['1', '2'].map((id) => reserve(id)));
    await ledger.settle(run, 'orders', [synced('1', '10'), synced('2', '20')]);
    expect(intents()).toEqual({ n: 0 }); // a page settled in full leaves nothing behind

    await ledger.markPending(run, 'orders', ['3', '4', '5'].map((id) => reserve(id)));
    await ledger.settle(run, 'orders', [synced('3', '30')]);
    await ledger.finishRun(run, 'failed', emptyCounts());
    expect(await pending()).toEqual([['4', 'k4', 4], ['5', 'k5', 5]]);
    expect(intents()).toEqual({ n: 0 });

    // A crash: this process dies with a page reserved, one write of it settled and one (record 1, again) not.
    run = await ledger.startRun('orders', 'manual');
    await ledger.markPending(run, 'orders', [reserve('6'), reserve('1', 'k1-again')]);
    await ledger.settle(run, 'orders', [synced('6', '60')]);
    const afterCrash = new SqliteLedger(path);
    await afterCrash.startRun('orders', 'manual');
    expect((await afterCrash.listRecords('orders', { statuses: ['pending'] })).map((r) => [r.sourceId, r.idempotencyKey, r.targetId])).toEqual([
      ['4', 'k4', undefined],
      ['5', 'k5', undefined],
      ['1', 'k1-again', '10'],
    ]);
    expect(await afterCrash.countByStatus('orders')).toMatchObject({ synced: 3, pending: 3 });
    await afterCrash.close();
  });

  it("reads what a record became from the record's own row, and links written before schema 7 from their own rows", async () => {
    const ledger = new SqliteLedger(join(tempDir(), 'ledger.db'));
    const db = (ledger as unknown as { db: Database.Database }).db;
    const run = await ledger.startRun('customers', 'manual');
    const sync = (sourceId: string, targetId: string, targetVersion: string | undefined, from = `hubspot/contacts/${sourceId}`): Settlement => ({
      sourceId,
      status: 'synced',
      action: 'updated',
      targetId,
      sourceHash: 'h',
      flowVersion: 'v1',
      crossReference: { from, to: `quickbooks/customers/${targetId}` },
      targetVersion,
    });
    // As an older ledger left it: the link and its stamp in cross_references, the record row knowing neither.
    await ledger.settle(run, 'customers', [{ sourceId: '1', status: 'synced', action: 'created', targetId: '7', sourceHash: 'h', flowVersion: 'v1' }]);
    db.prepare("INSERT INTO cross_references VALUES ('hubspot/contacts/1', 'quickbooks/customers/7', 'customers', '2026-01-01T00:00:00.000Z', '3')").run();
    const legacy = { key: 'quickbooks/customers/7', flow: 'customers', direction: 'to', at: '2026-01-01T00:00:00.000Z' };
    expect(await ledger.lastStamp('customers', 'quickbooks/customers/7')).toBe('3');
    expect(await ledger.crossReferences('hubspot/contacts/1')).toEqual([legacy]);

    // Written again now: the row carries the link (shown once) and its stamp, which wins; an unstamped write clears it.
    await ledger.settle(run, 'customers', [sync('1', '7', '4')]);
    expect(await ledger.lastStamp('customers', 'quickbooks/customers/7')).toBe('4');
    expect(await ledger.crossReferences('hubspot/contacts/1')).toEqual([legacy]);
    await ledger.settle(run, 'customers', [sync('1', '7', undefined)]);
    expect(await ledger.lastStamp('customers', 'quickbooks/customers/7')).toBeUndefined();

    // Ids may hold slashes (Shopify's gid://); a flow may link more than one pair of entities.
    await ledger.settle(run, 'customers', [sync('gid://shopify/Customer/9', '8', '0', 'shopify/customers/gid://shopify/Customer/9')]);
    expect(await ledger.crossReferences('quickbooks/customers/8')).toEqual([{ key: 'shopify/customers/gid://shopify/Customer/9', flow: 'customers', direction: 'from', at: expect.any(String) }]);
    expect(await ledger.crossReferences('shopify/customers/gid://shopify/Customer/9')).toMatchObject([{ key: 'quickbooks/customers/8', direction: 'to' }]);
    expect(await ledger.ownWrites(['customers'], [{ key: 'quickbooks/customers/8', version: '0' }, { key: 'quickbooks/customers/7', version: '3' }])).toEqual(new Set(['quickbooks/customers/8']));
    expect(db.prepare('SELECT COUNT(*) AS n FROM cross_references').get()).toEqual({ n: 1 }); // the older ledger's row only
  });

  it('a failed record that syncs is cleared of its failure and keeps its history; one never seen is inserted', async () => {
    const ledger = new SqliteLedger(join(tempDir(), 'ledger.db'));
    const run = await ledger.startRun('orders', 'manual');
    await ledger.settle(run, 'orders', [{ sourceId: '1', status: 'failed', sourceHash: 'h0', flowVersion: 'v1', attempts: 3, error: { class: 'transient', status: 503, message: 'Service Unavailable' }, source: { id: 1 }, payload: { Amount: 5 } }]);
    await ledger.markPending(run, 'orders', [{ sourceId: '1', idempotencyKey: 'k', inLedger: true, sourceHash: 'h1', outputHash: 'o1', flowVersion: 'v1', source: { id: 1 }, payload: { Amount: 5 }, payloadJson: '{"Amount":5}' }]);
    await ledger.settle(run, 'orders', [{ ...synced('1', '10'), attempts: 1 }, { ...synced('2', '20'), attempts: 1 }]);
    const [retried, fresh] = await ledger.getRecords('orders', ['1', '2']);
    expect(retried).toMatchObject({ status: 'synced', targetId: '10', sourceHash: 'h1', outputHash: 'o1', attempts: 4, failedRuns: 0, lastFailedAt: expect.any(String), firstSyncedAt: expect.any(String) });
    for (const field of ['error', 'firstFailedAt', 'source', 'payload', 'matchValue', 'waitingOn', 'reason'] as const) expect(retried![field]).toBeUndefined();
    expect(fresh).toMatchObject({ status: 'synced', targetId: '20', attempts: 1, failedRuns: 0, firstSyncedAt: expect.any(String) });
    expect((await ledger.events('orders', '1')).map((e) => e.kind)).toEqual(['failed', 'created']);
  });

  it('a run lock is exclusive until released or its lease expires, and its fencing number grows with each holder', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const path = join(tempDir(), 'ledger.db');
    const a = new SqliteLedger(path, { now: () => now });
    const b = new SqliteLedger(path, { now: () => now });
    expect(await a.acquireLock('flow:x', 'A', 1_000)).toBe(1);
    expect(await b.acquireLock('flow:x', 'B', 1_000)).toBeUndefined();
    expect(await a.acquireLock('flow:x', 'A', 1_000)).toBeUndefined(); // a second run in the holder's own process waits too
    expect(await a.renewLock('flow:x', 'A', 1, 1_000)).toBe(true);
    now = new Date(now.getTime() + 1_001);
    expect(await b.acquireLock('flow:x', 'B', 1_000)).toBe(2);
    expect(await a.renewLock('flow:x', 'A', 1, 1_000)).toBe(false);
    await b.releaseLock('flow:x', 'B');
    expect(await a.acquireLock('flow:x', 'A', 1_000)).toBe(3);
  });

  it('refuses the writes of a run whose lock has passed to another holder', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const path = join(tempDir(), 'ledger.db');
    const a = new SqliteLedger(path, { now: () => now });
    const b = new SqliteLedger(path, { now: () => now });
    const stale = await a.startRun('x', 'schedule', { lock: 'flow:x', fence: (await a.acquireLock('flow:x', 'A', 1_000))! });
    now = new Date(now.getTime() + 1_001); // A is paused past its lease; B takes the flow
    const live = await b.startRun('x', 'schedule', { lock: 'flow:x', fence: (await b.acquireLock('flow:x', 'B', 1_000))! });
    const write = { sourceId: '1', idempotencyKey: 'k', inLedger: false, sourceHash: 'h', outputHash: 'o', flowVersion: 'v', source: {}, payload: {}, payloadJson: '{}' };
    const synced = { sourceId: '1', status: 'synced' as const, action: 'created' as const, targetId: '9', sourceHash: 'h', flowVersion: 'v' };
    await expect(a.markPending(stale, 'x', [write])).rejects.toThrow(StaleLockError);
    await expect(a.settle(stale, 'x', [synced])).rejects.toThrow(StaleLockError);
    await expect(a.saveCursor('x', '2026-01-01T00:00:00Z', stale)).rejects.toThrow(StaleLockError);
    expect(await a.getRecords('x', ['1'])).toEqual([]);
    expect(await a.getCursor('x')).toBeUndefined();
    // The holder's own writes go through.
    await b.markPending(live, 'x', [write]);
    await b.settle(live, 'x', [synced]);
    await b.saveCursor('x', '2026-01-01T00:00:00Z', live);
    expect(await b.getRecords('x', ['1'])).toMatchObject([{ status: 'synced', targetId: '9' }]);
  });

  it('a lock held by a process that is gone is taken at once; its unfinished run is closed as interrupted', async () => {
    const path = join(tempDir(), 'ledger.db');
    const ledger = new SqliteLedger(path);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const goneOwner = `${hostname()}:${dead.stdout.toString()}:abcd1234`;
    expect(await ledger.acquireLock('flow:x', goneOwner, 60_000)).toBe(1);
    const orphan = await ledger.startRun('x', 'schedule');
    const liveOwner = `${hostname()}:${process.ppid}:abcd1234`;
    expect(await ledger.acquireLock('flow:y', liveOwner, 60_000)).toBe(1);

    expect(await ledger.acquireLock('flow:x', newLockOwner(), 60_000, isAbandoned)).toBe(2);
    expect(await ledger.acquireLock('flow:y', newLockOwner(), 60_000, isAbandoned)).toBeUndefined();
    await ledger.startRun('x', 'manual');
    const runs = await ledger.listRuns({ flow: 'x' });
    expect(runs.find((r) => r.id === orphan)).toMatchObject({ status: 'failed', message: expect.stringMatching(/^interrupted/) });
    await ledger.close();
  });
});
