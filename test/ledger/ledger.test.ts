/**
 * The ledger's promises, held by both ledgers: SQLite (the embedded default) and PostgreSQL (several
 * machines). Every test runs against each; the PostgreSQL half needs a server (CI always has one).
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { isAbandoned, newLockOwner } from '../../src/engine/lock-owner.js';
import { StaleLockError } from '../../src/errors.js';
import type { PendingWrite, Settlement } from '../../src/ledger/ledger.js';
import { emptyCounts } from '../../src/ledger/ledger.js';
import { type LedgerStore, ledgerKinds } from '../support/ledger-stores.js';

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

const reserve = (id: string, key = `k${id}`): PendingWrite => ({ sourceId: id, idempotencyKey: key, inLedger: key !== `k${id}`, sourceHash: `h${id}`, outputHash: `o${id}`, flowVersion: 'v1', source: { id }, payload: { Amount: Number(id) }, payloadJson: JSON.stringify({ Amount: Number(id) }) });

describe.each(ledgerKinds())('$name ledger', (kind) => {
  if (kind.unavailable) {
    it.skip(`skipped: ${kind.unavailable}`, () => undefined);
    return;
  }
  let stores: LedgerStore[] = [];
  const store = async () => {
    const made = await kind.store();
    stores.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  it('refuses a ledger written by a newer Ferry', async () => {
    const s = await store();
    await s.open().listRuns();
    await s.sql("INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01')");
    await expect((async () => s.open().listRuns())()).rejects.toThrow(/newer Ferry \(schema 99/);
  });

  it('settles a batch in one transaction: a failure part-way leaves no row half-written', async () => {
    const ledger = (await store()).open();
    const run = await ledger.startRun('orders', 'manual');
    const poisoned = { ...synced('2', '11'), status: 'bogus' } as unknown as Settlement;
    await expect(ledger.settle(run, 'orders', [synced('1', '10'), poisoned])).rejects.toThrow(/check constraint/i);
    expect(await ledger.getRecords('orders', ['1', '2'])).toEqual([]);
    expect(await ledger.events('orders', '1')).toEqual([]);
    expect(await ledger.crossReferences('shopify/orders/1')).toEqual([]);
  });

  it('keeps state, history and cross-references per record', async () => {
    const ledger = (await store()).open();
    const run = await ledger.startRun('orders', 'manual');
    await ledger.markPending(run, 'orders', [reserve('1')]);
    await ledger.settle(run, 'orders', [{ ...synced('1', '10'), attempts: 2 }]);
    const [state] = await ledger.getRecords('orders', ['1']);
    expect(state).toMatchObject({ status: 'synced', targetId: '10', attempts: 2, outputHash: 'o1' });
    expect(state!.payload).toBeUndefined(); // not kept once synced
    expect(await ledger.findTarget('orders', '1')).toBe('10');
    expect(await ledger.findSource('orders', '10')).toBe('1');
    expect(await ledger.events('orders', '1')).toEqual([{ id: expect.any(Number), flow: 'orders', sourceId: '1', runId: run, at: state!.firstSyncedAt, kind: 'created', detail: { targetId: '10', attempts: 2 } }]);
    await ledger.settle(run, 'orders', [{ ...synced('1', '10'), action: 'updated', attempts: 1 }]);
    const history = await ledger.events('orders', '1');
    expect(history.map((e) => [e.kind, e.detail])).toEqual([['created', { targetId: '10', attempts: 2 }], ['updated', { targetId: '10', attempts: 1 }]]);
    expect(history[1]!.id).toBeGreaterThan(history[0]!.id);
    expect(await ledger.crossReferences('quickbooks/invoices/10')).toEqual([{ key: 'shopify/orders/1', flow: 'orders', direction: 'from', at: expect.any(String) }]);
    await ledger.finishRun(run, 'succeeded', { ...emptyCounts(), read: 1, created: 1 });
    expect((await ledger.listRuns({ flow: 'orders' }))[0]).toMatchObject({ status: 'succeeded', counts: { read: 1, created: 1 } });
    expect(await ledger.countByStatus('orders')).toMatchObject({ synced: 1, dead: 0 });
  });

  it('reserves writes; what a run leaves unsettled becomes pending when it ends, or after a crash when the next run starts', async () => {
    const s = await store();
    const ledger = s.open();
    const pending = async () => (await ledger.listRecords('orders', { statuses: ['pending'] })).map((r) => [r.sourceId, r.idempotencyKey, r.payload?.Amount]);
    const intents = async () => Number((await s.sql('SELECT COUNT(*) AS n FROM write_intents'))[0]!.n);

    let run = await ledger.startRun('orders', 'manual');
    await ledger.markPending(run, 'orders', ['1', '2'].map((id) => reserve(id)));
    await ledger.settle(run, 'orders', [synced('1', '10'), synced('2', '20')]);
    expect(await intents()).toBe(0); // a page settled in full leaves nothing behind

    await ledger.markPending(run, 'orders', ['3', '4', '5'].map((id) => reserve(id)));
    await ledger.settle(run, 'orders', [synced('3', '30')]);
    await ledger.finishRun(run, 'failed', emptyCounts());
    expect(await pending()).toEqual([['4', 'k4', 4], ['5', 'k5', 5]]);
    expect(await intents()).toBe(0);

    // A crash: this process dies with a page reserved, one write of it settled and one (record 1, again) not.
    run = await ledger.startRun('orders', 'manual');
    await ledger.markPending(run, 'orders', [reserve('6'), reserve('1', 'k1-again')]);
    await ledger.settle(run, 'orders', [synced('6', '60')]);
    const afterCrash = s.open();
    await afterCrash.startRun('orders', 'manual');
    expect((await afterCrash.listRecords('orders', { statuses: ['pending'] })).map((r) => [r.sourceId, r.idempotencyKey, r.targetId])).toEqual([
      ['4', 'k4', undefined],
      ['5', 'k5', undefined],
      ['1', 'k1-again', '10'],
    ]);
    expect(await afterCrash.countByStatus('orders')).toMatchObject({ synced: 3, pending: 3 });
  });

  it('a failed record that syncs is cleared of its failure and keeps its history; one never seen is inserted', async () => {
    const ledger = (await store()).open();
    const run = await ledger.startRun('orders', 'manual');
    await ledger.settle(run, 'orders', [{ sourceId: '1', status: 'failed', sourceHash: 'h0', flowVersion: 'v1', attempts: 3, error: { class: 'transient', status: 503, message: 'Service Unavailable' }, source: { id: 1 }, payload: { Amount: 5 } }]);
    await ledger.markPending(run, 'orders', [{ ...reserve('1', 'k'), sourceHash: 'h1' }]);
    await ledger.settle(run, 'orders', [{ ...synced('1', '10'), attempts: 1 }, { ...synced('2', '20'), attempts: 1 }]);
    const [retried, fresh] = await ledger.getRecords('orders', ['1', '2']).then((rows) => rows.sort((a, b) => a.sourceId.localeCompare(b.sourceId)));
    expect(retried).toMatchObject({ status: 'synced', targetId: '10', sourceHash: 'h1', outputHash: 'o1', attempts: 4, failedRuns: 0, lastFailedAt: expect.any(String), firstSyncedAt: expect.any(String) });
    for (const field of ['error', 'firstFailedAt', 'source', 'payload', 'matchValue', 'waitingOn', 'reason'] as const) expect(retried![field]).toBeUndefined();
    expect(fresh).toMatchObject({ status: 'synced', targetId: '20', attempts: 1, failedRuns: 0, firstSyncedAt: expect.any(String) });
    expect((await ledger.events('orders', '1')).map((e) => e.kind)).toEqual(['failed', 'created']);
  });

  it("tells a flow's own stamped writes from other changes, and approves, decides and notes records", async () => {
    const ledger = (await store()).open();
    const run = await ledger.startRun('customers', 'manual');
    const stamped = (sourceId: string, targetId: string, targetVersion?: string): Settlement => ({ ...synced(sourceId, targetId), crossReference: { from: `hubspot/companies/${sourceId}`, to: `quickbooks/customers/${targetId}` }, targetVersion });
    await ledger.settle(run, 'customers', [stamped('1', '7', '4'), stamped('2', '8', '0')]);
    expect(await ledger.lastStamp('customers', 'quickbooks/customers/7')).toBe('4');
    expect(await ledger.ownWrites(['customers'], [{ key: 'quickbooks/customers/7', version: '4' }, { key: 'quickbooks/customers/8', version: '1' }])).toEqual(new Set(['quickbooks/customers/7']));
    await ledger.settle(run, 'customers', [stamped('1', '7')]);
    expect(await ledger.lastStamp('customers', 'quickbooks/customers/7')).toBeUndefined();

    await ledger.settle(run, 'customers', [{ sourceId: '3', status: 'held', sourceHash: 'h3', flowVersion: 'v1', reason: 'credit', source: { id: 3 } }]);
    expect(await ledger.approveHeld('customers', '3', { by: 'ops' })).toBe(true);
    expect(await ledger.approveHeld('customers', '3', { by: 'ops' })).toBe(false);
    expect((await ledger.getRecords('customers', ['3']))[0]).toMatchObject({ status: 'waiting', approvedHash: 'h3' });
    await ledger.recordDecision('customers', '3', 'discarded', { reason: 'test' }, 'skipped', 'discarded: test');
    expect((await ledger.listRecords('customers', { statuses: ['skipped'] })).map((r) => [r.sourceId, r.reason])).toEqual([['3', 'discarded: test']]);
    expect((await ledger.events('customers', '3')).map((e) => e.kind)).toEqual(['held', 'approved', 'discarded']);
    await ledger.saveCursor('customers', '2026-11-01T00:00:00.000Z', run);
    await ledger.saveFlowVersion('customers', 'v2');
    expect([await ledger.getCursor('customers'), await ledger.getFlowVersion('customers')]).toEqual(['2026-11-01T00:00:00.000Z', 'v2']);
  });

  it('a run lock is exclusive until released or its lease expires, and its fencing number grows with each holder', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const s = await store();
    const a = s.open({ now: () => now });
    const b = s.open({ now: () => now });
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

  it('of many takers racing for a free lock, one wins; slots and webhook deliveries are claimed once', async () => {
    const s = await store();
    const ledgers = Array.from({ length: 6 }, () => s.open());
    const fences = await Promise.all(ledgers.map((l, i) => l.acquireLock('flow:race', `owner-${i}`, 60_000)));
    expect(fences.filter((f) => f !== undefined)).toEqual([1]);
    const slots = await Promise.all(ledgers.map((l, i) => l.claimSlot('orders:2026-12-02T09:00:00.000Z', `owner-${i}`)));
    expect(slots.filter(Boolean)).toHaveLength(1);
    const deliveries = await Promise.all(ledgers.map((l) => l.rememberDelivery('shopify', 'delivery-1')));
    expect(deliveries.filter(Boolean)).toHaveLength(1);
    expect(await ledgers[0]!.rememberDelivery('shopify', 'delivery-1', new Date(Date.now() + 60_000))).toBe(true); // forgotten past its window
  });

  it('refuses the writes of a run whose lock has passed to another holder', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const s = await store();
    const a = s.open({ now: () => now });
    const b = s.open({ now: () => now });
    const stale = await a.startRun('x', 'schedule', { lock: 'flow:x', fence: (await a.acquireLock('flow:x', 'A', 1_000))! });
    now = new Date(now.getTime() + 1_001); // A is paused past its lease; B takes the flow
    const live = await b.startRun('x', 'schedule', { lock: 'flow:x', fence: (await b.acquireLock('flow:x', 'B', 1_000))! });
    const write = { sourceId: '1', idempotencyKey: 'k', inLedger: false, sourceHash: 'h', outputHash: 'o', flowVersion: 'v', source: {}, payload: {}, payloadJson: '{}' };
    const done = { sourceId: '1', status: 'synced' as const, action: 'created' as const, targetId: '9', sourceHash: 'h', flowVersion: 'v' };
    await expect(a.markPending(stale, 'x', [write])).rejects.toThrow(StaleLockError);
    await expect(a.settle(stale, 'x', [done])).rejects.toThrow(StaleLockError);
    await expect(a.saveCursor('x', '2026-01-01T00:00:00Z', stale)).rejects.toThrow(StaleLockError);
    expect(await a.getRecords('x', ['1'])).toEqual([]);
    expect(await a.getCursor('x')).toBeUndefined();
    // The holder's own writes go through.
    await b.markPending(live, 'x', [write]);
    await b.settle(live, 'x', [done]);
    await b.saveCursor('x', '2026-01-01T00:00:00Z', live);
    expect(await b.getRecords('x', ['1'])).toMatchObject([{ status: 'synced', targetId: '9' }]);
  });

  it('a lock held by a process that is gone is taken at once; its unfinished run is closed as interrupted', async () => {
    const ledger = (await store()).open();
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
  });
});
