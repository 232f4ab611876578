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
      { sourceId: '1', idempotencyKey: 'k1', sourceHash: 'h1', outputHash: 'o1', flowVersion: 'v1', source: { id: 1 }, payload: { Amount: 5 } },
    ]);
    expect((await ledger.getRecords('orders', ['1']))[0]).toMatchObject({ status: 'pending', idempotencyKey: 'k1', payload: { Amount: 5 } });
    await ledger.settle(run, 'orders', [{ ...synced('1', '10'), attempts: 2 }]);
    const [state] = await ledger.getRecords('orders', ['1']);
    expect(state).toMatchObject({ status: 'synced', targetId: '10', attempts: 2, outputHash: 'o1' });
    expect(state.payload).toBeUndefined(); // not kept once synced
    expect(await ledger.findTarget('orders', '1')).toBe('10');
    expect((await ledger.events('orders', '1')).map((e) => e.kind)).toEqual(['created']);
    expect(await ledger.crossReferences('quickbooks/invoices/10')).toEqual([{ key: 'shopify/orders/1', flow: 'orders', direction: 'from', at: expect.any(String) }]);
    await ledger.finishRun(run, 'succeeded', { ...emptyCounts(), read: 1, created: 1 });
    expect((await ledger.listRuns({ flow: 'orders' }))[0]).toMatchObject({ status: 'succeeded', counts: { read: 1, created: 1 } });
  });

  it('a failed record that syncs is cleared of its failure and keeps its history; one never seen is inserted', async () => {
    const ledger = new SqliteLedger(join(tempDir(), 'ledger.db'));
    const run = await ledger.startRun('orders', 'manual');
    await ledger.settle(run, 'orders', [{ sourceId: '1', status: 'failed', sourceHash: 'h0', flowVersion: 'v1', attempts: 3, error: { class: 'transient', status: 503, message: 'Service Unavailable' }, source: { id: 1 }, payload: { Amount: 5 } }]);
    await ledger.markPending(run, 'orders', [{ sourceId: '1', idempotencyKey: 'k', sourceHash: 'h1', outputHash: 'o1', flowVersion: 'v1', source: { id: 1 }, payload: { Amount: 5 } }]);
    await ledger.settle(run, 'orders', [{ ...synced('1', '10'), attempts: 1 }, { ...synced('2', '20'), attempts: 1 }]);
    const [retried, fresh] = await ledger.getRecords('orders', ['1', '2']);
    expect(retried).toMatchObject({ status: 'synced', targetId: '10', sourceHash: 'h1', outputHash: 'o1', attempts: 4, failedRuns: 0, lastFailedAt: expect.any(String), firstSyncedAt: expect.any(String) });
    for (const field of ['error', 'firstFailedAt', 'source', 'payload', 'matchValue', 'waitingOn', 'reason'] as const) expect(retried![field]).toBeUndefined();
    expect(fresh).toMatchObject({ status: 'synced', targetId: '20', attempts: 1, failedRuns: 0, firstSyncedAt: expect.any(String) });
    expect((await ledger.events('orders', '1')).map((e) => e.kind)).toEqual(['failed', 'created']);
  });

  it('a run lock is exclusive until released or its lease expires', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const path = join(tempDir(), 'ledger.db');
    const a = new SqliteLedger(path, { now: () => now });
    const b = new SqliteLedger(path, { now: () => now });
    expect(await a.acquireLock('flow:x', 'A', 1_000)).toBe(true);
    expect(await b.acquireLock('flow:x', 'B', 1_000)).toBe(false);
    expect(await a.acquireLock('flow:x', 'A', 1_000)).toBe(true); // renewal
    now = new Date(now.getTime() + 1_001);
    expect(await b.acquireLock('flow:x', 'B', 1_000)).toBe(true);
    await b.releaseLock('flow:x', 'B');
    expect(await a.acquireLock('flow:x', 'A', 1_000)).toBe(true);
  });

  it('a lock held by a process that is gone is taken at once; its unfinished run is closed as interrupted', async () => {
    const path = join(tempDir(), 'ledger.db');
    const ledger = new SqliteLedger(path);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const goneOwner = `${hostname()}:${dead.stdout.toString()}:abcd1234`;
    expect(await ledger.acquireLock('flow:x', goneOwner, 60_000)).toBe(true);
    const orphan = await ledger.startRun('x', 'schedule');
    const liveOwner = `${hostname()}:${process.ppid}:abcd1234`;
    expect(await ledger.acquireLock('flow:y', liveOwner, 60_000)).toBe(true);

    expect(await ledger.acquireLock('flow:x', newLockOwner(), 60_000, isAbandoned)).toBe(true);
    expect(await ledger.acquireLock('flow:y', newLockOwner(), 60_000, isAbandoned)).toBe(false);
    await ledger.startRun('x', 'manual');
    const runs = await ledger.listRuns({ flow: 'x' });
    expect(runs.find((r) => r.id === orphan)).toMatchObject({ status: 'failed', message: expect.stringMatching(/^interrupted/) });
    await ledger.close();
  });
});
