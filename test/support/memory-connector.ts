/**
 * An in-memory connector for engine tests: a source that pages records by updated time and a target
 * that stores what it is sent, remembers idempotency keys and can be told to fail.
 */
import type { ConnectorDeclaration, JsonObject, ReadPage, ReadRequest, WriteItem, WriteResult } from '../../src/connector/types.js';

export interface MemoryStore {
  /** Source records by entity name. Each needs `id` and `updated_at`. */
  sources: Map<string, JsonObject[]>;
  /** Target records by entity, then id. */
  targets: Map<string, Map<string, JsonObject>>;
  /** Every write call the target received (items per call). */
  writeCalls: WriteItem[][];
  /** The `since` of every read of a source, in order. */
  readsSince: (Date | undefined)[];
  /** Decides the fate of one item before it is stored; return a result to override. */
  fault?: (item: WriteItem, attempt: number) => WriteResult | undefined;
  /** Thrown by `find` when it returns an error (a settlement's look-up meeting a busy service). */
  findFault?: (item: WriteItem, attempt: number) => Error | undefined;
  pageSize: number;
}

export function createMemoryStore(pageSize = 100): MemoryStore {
  return { sources: new Map(), targets: new Map(), writeCalls: [], readsSince: [], pageSize };
}

const targetSchema: JsonObject = {
  type: 'object',
  required: ['Name'],
  properties: {
    Name: { type: 'string', minLength: 1 },
    Email: { type: 'string' },
    Total: { type: 'number', minimum: 0 },
    ParentRef: { type: 'string' },
    Line: {
      type: 'array',
      items: { type: 'object', required: ['Amount'], properties: { Amount: { type: 'number', minimum: 0 }, Sku: { type: 'string' } } },
    },
  },
};

export function memoryConnector(store: MemoryStore): ConnectorDeclaration<MemoryStore> {
  const attempts = new Map<string, number>();
  const findAttempts = new Map<string, number>();
  const read = async function* (client: MemoryStore, request: ReadRequest, entity: string): AsyncIterable<ReadPage> {
    client.readsSince.push(request.since);
    const all = (client.sources.get(entity) ?? [])
      .filter((r) => !request.since || Date.parse(String(r.updated_at)) >= request.since.getTime())
      .sort((a, b) => Date.parse(String(a.updated_at)) - Date.parse(String(b.updated_at)));
    for (let i = 0; i < all.length; i += client.pageSize) yield { records: all.slice(i, i + client.pageSize).map((r) => structuredClone(r)) };
  };
  const targetEntity = (entity: string) => ({
    description: `target ${entity}`,
    key: (r: JsonObject) => String(r.id),
    schema: targetSchema,
    matchFields: ['Email'],
    batchSize: 10,
    concurrency: 2,
    async write(client: MemoryStore, items: WriteItem[]): Promise<WriteResult[]> {
      client.writeCalls.push(items);
      const table = client.targets.get(entity) ?? new Map<string, JsonObject>();
      client.targets.set(entity, table);
      return items.map((item): WriteResult => {
        const attempt = (attempts.get(item.idempotencyKey) ?? 0) + 1;
        attempts.set(item.idempotencyKey, attempt);
        const injected = client.fault?.(item, attempt);
        if (injected) return injected;
        const matched = item.match ? [...table.entries()].find(([, r]) => r[item.match!.field] === item.match!.value)?.[0] : undefined;
        const replay = [...table.entries()].find(([, r]) => r._key === item.idempotencyKey)?.[0];
        const id = item.targetId ?? matched ?? replay ?? String(table.size + 1);
        const action = item.targetId || matched || replay ? 'updated' : 'created';
        table.set(id, { ...item.payload, _key: item.idempotencyKey, id });
        return { ok: true, targetId: id, action };
      });
    },
    async find(client: MemoryStore, item: WriteItem): Promise<string | undefined> {
      const attempt = (findAttempts.get(item.idempotencyKey) ?? 0) + 1;
      findAttempts.set(item.idempotencyKey, attempt);
      const refused = client.findFault?.(item, attempt);
      if (refused) throw refused;
      const table = client.targets.get(entity) ?? new Map<string, JsonObject>();
      for (const [id, r] of table) {
        if (r._key === item.idempotencyKey) return id;
        if (item.match && r[item.match.field] === item.match.value) return id;
      }
      return undefined;
    },
    async get(client: MemoryStore, ids: string[]): Promise<JsonObject[]> {
      const table = client.targets.get(entity) ?? new Map<string, JsonObject>();
      return ids.flatMap((id) => (table.has(id) ? [structuredClone(table.get(id)!)] : []));
    },
  });
  const sourceEntity = (entity: string) => ({
    description: `source ${entity}`,
    key: (r: JsonObject) => (r.id === undefined ? '' : String(r.id)),
    updatedAt: (r: JsonObject) => (r.updated_at === undefined ? undefined : String(r.updated_at)),
    orderedByUpdatedAt: true,
    read: (client: MemoryStore, request: ReadRequest) => read(client, request, entity),
    async get(client: MemoryStore, ids: string[]): Promise<JsonObject[]> {
      return (client.sources.get(entity) ?? []).filter((r) => ids.includes(String(r.id))).map((r) => structuredClone(r));
    },
  });
  return {
    name: 'memory',
    description: 'in-memory test connector',
    open: () => store,
    label: (entity, record) => (entity === 'customers' && record.name ? String(record.name) : undefined),
    adminUrl: (settings, entity, id) => `https://${String(settings.options.site ?? 'memory.example')}/${entity}/${encodeURIComponent(id)}`,
    entities: {
      customers: sourceEntity('customers'),
      orders: sourceEntity('orders'),
      accounts: targetEntity('accounts'),
      invoices: targetEntity('invoices'),
    },
  };
}
