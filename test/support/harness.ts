/** Builds flows from YAML text and runs them against the in-memory connector and a real SQLite ledger. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, type ConnectionSettings, type JsonObject } from '../../src/connector/types.js';
import { Connections } from '../../src/engine/connections.js';
import { runFlow, type RunOptions, type RunResult } from '../../src/engine/runner.js';
import { formatDiagnostic } from '../../src/errors.js';
import { loadFlowFiles } from '../../src/flow/load.js';
import type { Flow } from '../../src/flow/types.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { silentLogger } from '../../src/log.js';
import { createMemoryStore, memoryConnector, type MemoryStore } from './memory-connector.js';

export const memoryRegistry = (store: MemoryStore = createMemoryStore()) => createRegistry([memoryConnector(store)]);

export function tempDir(prefix = 'ferry-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes each YAML text to its own file and loads them together. */
export function loadFlows(texts: Record<string, string>, store: MemoryStore = createMemoryStore()) {
  const dir = tempDir();
  const files = Object.entries(texts).map(([name, text]) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  });
  return { ...loadFlowFiles(files, memoryRegistry(store)), dir, files };
}

/** Loads flow texts together (so depends_on resolves) and returns them by name. */
export function flowsFrom(...texts: string[]): Map<string, Flow> {
  const { flows, diagnostics } = loadFlows(Object.fromEntries(texts.map((t, i) => [`flow${i}.yaml`, t])));
  if (diagnostics.length) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  return new Map(flows.map((f) => [f.name, f]));
}

export function flowFrom(text: string): Flow {
  return [...flowsFrom(text).values()][0]!;
}

export const CUSTOMERS_FLOW = `
name: customers
source: { connector: memory, entity: customers }
target:
  connector: memory
  entity: accounts
  match: { field: Email, value: email }
mapping:
  Name: name
  Email: email
  Total: $money(balance)
rules:
  - { name: vip-hold, when: "vip = true", action: hold, reason: needs approval }
retry: { attempts: 3, initial_delay: 1ms, max_delay: 5ms }
`;

/** Orders whose invoices name the customer that the customers flow wrote: a flow with a parent. */
export const ORDERS_FLOW = `
name: orders
source: { connector: memory, entity: orders }
target: { connector: memory, entity: invoices }
mapping:
  Name: name
  ParentRef: $lookup('customers', customer_id)
depends_on: [customers]
retry: { attempts: 2, initial_delay: 1ms, max_delay: 2ms }
waiting: { max_age: 1h }
`;

export class Harness {
  readonly store: MemoryStore;
  readonly ledger: SqliteLedger;
  readonly connections: Connections;
  readonly dir = tempDir();
  now = new Date('2026-11-01T00:00:00Z');
  sleeps: number[] = [];

  constructor(store: MemoryStore = createMemoryStore(), ledgerPath?: string) {
    this.store = store;
    this.ledger = new SqliteLedger(ledgerPath ?? join(this.dir, 'ledger.db'), { now: () => this.now });
    const settings = new Map<string, ConnectionSettings>([['memory', { name: 'memory', connector: 'memory', options: {} }]]);
    this.connections = new Connections(memoryRegistry(store), settings);
  }

  addSource(entity: string, records: JsonObject[]): void {
    const list = this.store.sources.get(entity) ?? [];
    for (const r of records) {
      const i = list.findIndex((x) => x.id === r.id);
      if (i >= 0) list[i] = r;
      else list.push(r);
    }
    this.store.sources.set(entity, list);
  }

  target(entity: string): Map<string, JsonObject> {
    return this.store.targets.get(entity) ?? new Map();
  }

  writesSent(): number {
    return this.store.writeCalls.reduce((n, call) => n + call.length, 0);
  }

  run(flow: Flow, options: Partial<RunOptions> = {}): Promise<RunResult> {
    return runFlow(
      flow,
      {
        ledger: this.ledger,
        connections: this.connections,
        logger: silentLogger,
        now: () => this.now,
        retryHooks: { sleep: async (ms) => void this.sleeps.push(ms), random: () => 0.5 },
      },
      { trigger: 'manual', ...options },
    );
  }
}

export function customers(n: number, start = 1, overrides: Partial<JsonObject> = {}): JsonObject[] {
  return Array.from({ length: n }, (_, i) => ({
    id: start + i,
    name: `Customer ${start + i}`,
    email: `c${start + i}@example.com`,
    balance: '10.10',
    updated_at: new Date(Date.UTC(2026, 9, 1, 0, 0, start + i)).toISOString(),
    ...overrides,
  }));
}
