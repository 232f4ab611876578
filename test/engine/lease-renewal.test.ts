/**
 * A run that never waits on a network (an in-process source and target, or pages of unchanged records)
 * still renews its lock: it lets the event loop turn each page, so the renewal timer fires and a run
 * longer than its lease completes instead of stopping with a lost lock.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConnectionSettings } from '../../src/connector/types.js';
import { Connections } from '../../src/engine/connections.js';
import { runFlow } from '../../src/engine/runner.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { silentLogger } from '../../src/log.js';
import { createMemoryStore } from '../support/memory-connector.js';
import { customers, flowFrom, memoryRegistry } from '../support/harness.js';

// On a memory file system where there is one: the point is the run's length, not the disk's fsyncs.
const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ferry-lease-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FLOW = `
name: accounts
source: { connector: memory, entity: customers }
target: { connector: memory, entity: accounts }
mapping: { Name: name, Email: email }
`;

describe('lock renewal during a run that never waits on a network', () => {
  it('a run more than twice as long as its lease keeps the lock to the end and writes every record', async () => {
    const store = createMemoryStore(10);
    store.sources.set('customers', customers(3_000));
    const ledger = new SqliteLedger(join(dir, 'ledger.db'));
    const settings = new Map<string, ConnectionSettings>([['memory', { name: 'memory', connector: 'memory', options: {} }]]);
    const started = Date.now();
    const result = await runFlow(flowFrom(FLOW), { ledger, connections: new Connections(memoryRegistry(store), settings), logger: silentLogger, leaseMs: 200 }, { trigger: 'manual' });
    const elapsed = Date.now() - started;
    await ledger.close();
    // The point is a run that outlasts its lease: if this machine ran it faster, it proves nothing.
    expect(elapsed).toBeGreaterThan(400);
    expect(result).toMatchObject({ status: 'succeeded', counts: { read: 3_000, created: 3_000 } });
  });
});
