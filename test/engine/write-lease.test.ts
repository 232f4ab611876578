/**
 * A write that is several requests (look up, then write) checks the lock right before the request that
 * changes something (`request.beforeWrite`): a pause between them that outlasts the lease (a stopped
 * process) sends nothing. A connector that turns each item's error into a result does not turn the lost
 * lock into dead records either: the run still stops and leaves them to be settled.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConnectorDeclaration, createRegistry, type WriteItem, type WriteRequest, type WriteResult } from '../../src/connector/types.js';
import { Connections } from '../../src/engine/connections.js';
import { runFlow } from '../../src/engine/runner.js';
import { loadFlowFiles } from '../../src/flow/load.js';
import { StaleLockError } from '../../src/errors.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { silentLogger } from '../../src/log.js';
import { createMemoryStore, memoryConnector } from '../support/memory-connector.js';
import { customers, tempDir } from '../support/harness.js';

const FLOW = `
name: accounts
source: { connector: memory, entity: customers }
target: { connector: slow, entity: accounts }
mapping: { Name: name }
`;

/** A target whose write looks something up first, during which the clock jumps past the lease. */
function slowTarget(clock: { now: number }, sent: WriteItem[], asResults: boolean): ConnectorDeclaration<null> {
  return {
    name: 'slow',
    description: 'looks up, then writes',
    open: () => null,
    entities: {
      accounts: {
        description: 'accounts',
        key: (r) => String(r.id),
        async write(_client, items: WriteItem[], request?: WriteRequest): Promise<WriteResult[]> {
          clock.now += 10_000; // the look-up: the process was stopped here, past its lease
          try {
            request?.beforeWrite?.();
          } catch (error) {
            if (asResults) return items.map(() => ({ ok: false, error: error as StaleLockError }));
            throw error;
          }
          sent.push(...items);
          return items.map((item) => ({ ok: true, targetId: `t-${item.sourceId}`, action: 'created' }));
        },
      },
    },
  };
}

describe('a write that outlasts its lease between its requests', () => {
  for (const asResults of [false, true]) {
    it(`sends nothing and leaves its records to be settled, not dead (lost lock ${asResults ? 'returned as results' : 'thrown'})`, async () => {
      const store = createMemoryStore();
      store.sources.set('customers', customers(3));
      const clock = { now: Date.parse('2026-11-01T00:00:00Z') };
      const sent: WriteItem[] = [];
      const registry = createRegistry([memoryConnector(store), slowTarget(clock, sent, asResults)]);
      const settings = new Map([
        ['memory', { name: 'memory', connector: 'memory', options: {} }],
        ['slow', { name: 'slow', connector: 'slow', options: {} }],
      ]);
      const dir = tempDir();
      writeFileSync(join(dir, 'accounts.yaml'), FLOW);
      const { flows, diagnostics } = loadFlowFiles([join(dir, 'accounts.yaml')], registry);
      expect(diagnostics).toEqual([]);
      const ledger = new SqliteLedger(join(dir, 'ledger.db'), { now: () => new Date(clock.now) });
      const result = await runFlow(flows[0]!, { ledger, connections: new Connections(registry, settings), logger: silentLogger, leaseMs: 3_000, now: () => new Date(clock.now) }, { trigger: 'manual' });
      expect(sent).toEqual([]);
      expect(result.status).toBe('failed');
      expect(result.message).toMatch(/lost its lock/);
      expect(await ledger.listRecords('accounts', { statuses: ['dead'] })).toEqual([]);
      expect((await ledger.listRecords('accounts', { statuses: ['pending'] })).length).toBe(3);
      await ledger.close();
    });
  }
});
