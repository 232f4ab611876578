/**
 * QuickBooks entities as Ferry sees them: incremental reads by `Metadata.LastUpdatedTime`, writes through
 * `/batch` (30 operations a request) with the current `SyncToken`, and a natural key per entity
 * (DisplayName, Name, DocNumber, PaymentRefNum) so a retried create finds the record an earlier attempt
 * made instead of making a second one; a batch resent as it was repeats its `requestid`.
 */
import { createHash } from 'node:crypto';
import { type EntityDeclaration, type JsonObject, retried, type WriteItem, type WriteRequest, type WriteResult } from '../../src/connector/types.js';
import { PermanentError, TransientError } from '../../src/errors.js';
import type { QuickBooksClient } from './client.js';
import { faultError, type QboFault } from './errors.js';
import contract from './contract/qbo-entities.schema.json' with { type: 'json' };
import { SCHEMAS } from './schemas.js';

interface EntitySpec {
  entity: 'Customer' | 'Item' | 'Invoice' | 'Payment' | 'SalesReceipt' | 'CreditMemo' | 'RefundReceipt';
  /** node-quickbooks' plural for find* methods. */
  plural: string;
  description: string;
  /** The field whose value identifies a record in QuickBooks, when the payload carries it. */
  naturalKey: string;
  matchFields: string[];
}

type Entity = JsonObject & { Id: string; SyncToken: string };
/** A field and the value that finds one record by it. */
interface Key {
  field: string;
  value: unknown;
}
interface BatchAnswer {
  BatchItemResponse: (Record<string, unknown> & { bId: string; Fault?: QboFault })[];
}

const BATCH_LIMIT = 30;

/** `2026-11-01T00:00:00+00:00`: the form Intuit's query examples use. */
function qboTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

/**
 * A batch's `requestid`: the same writes resent (an answer lost on the way back) repeat it, and QuickBooks
 * answers as it did the first time instead of creating again. An update's SyncToken is part of it, so an
 * update sent after someone else's change is a new request, never a replay of an old answer.
 */
function requestIdOf(writes: [idempotencyKey: string, syncToken: string | undefined][]): string {
  return createHash('sha1').update(JSON.stringify(writes)).digest('hex');
}

/** A value as a quoted string in Intuit's query language. */
export const quote = (value: unknown) => `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** `PrimaryEmailAddr.Address` in a payload is queried as `PrimaryEmailAddr`. */
function valueAt(payload: JsonObject, field: string): unknown {
  const value = field.split('.').reduce<unknown>((v, k) => (v as JsonObject | undefined)?.[k], payload);
  if (value && typeof value === 'object') return (value as JsonObject).Address ?? (value as JsonObject).value;
  return value;
}

export function quickBooksEntity(spec: EntitySpec): EntityDeclaration<QuickBooksClient> {
  const { entity } = spec;
  const query = async (client: QuickBooksClient, where: string): Promise<Entity[]> => {
    const answer = await client.call<{ QueryResponse: Record<string, unknown> }>(`find${spec.plural}`, where);
    return (answer.QueryResponse[entity] as Entity[] | undefined) ?? [];
  };

  /**
   * Finds the records several write items name, one query per field (`where DocNumber in (…)`) rather than a
   * `/batch` of single-row queries: a query counts against the realm's 500 requests a minute, a batch
   * against its 40 batches a minute, which the writes themselves need. QuickBooks compares strings without
   * regard to case, so the answer is matched back the same way. A key that finds several records (a
   * company without custom transaction numbers keeps duplicate DocNumbers) is refused, not guessed at.
   */
  const lookUp = async (client: QuickBooksClient, keys: Map<number, Key>): Promise<{ found: Map<number, Entity>; ambiguous: Map<number, PermanentError> }> => {
    const found = new Map<number, Entity>();
    const ambiguous = new Map<number, PermanentError>();
    const byField = new Map<string, [number, string][]>();
    for (const [index, { field, value }] of keys) byField.set(field, [...(byField.get(field) ?? []), [index, String(value)]]);
    for (const [field, wanted] of byField) {
      const values = [...new Set(wanted.map(([, value]) => value))];
      const rows = await query(client, `where ${field} in (${values.map(quote).join(', ')}) maxresults 1000`);
      const rowsByValue = new Map<string, Entity[]>();
      for (const row of rows) {
        const value = String(valueAt(row, field)).toLowerCase();
        rowsByValue.set(value, [...(rowsByValue.get(value) ?? []), row]);
      }
      for (const [index, value] of wanted) {
        const matches = rowsByValue.get(value.toLowerCase()) ?? [];
        if (matches.length === 1) found.set(index, matches[0]!);
        else if (matches.length > 1) {
          const ids = matches.map((m) => m.Id).join(', ');
          ambiguous.set(index, new PermanentError(`QuickBooks has ${matches.length} ${entity} records with ${field} '${value}' (Ids ${ids}); Ferry will not choose one: remove or renumber the duplicates, then resync`, { field, code: 'ambiguous-match' }));
        }
      }
    }
    return { found, ambiguous };
  };

  const keyOf = (item: WriteItem): Key | undefined => {
    if (item.match) return { field: item.match.field.split('.')[0]!, value: item.match.value };
    const value = valueAt(item.payload, spec.naturalKey);
    return value === undefined || value === null || value === '' ? undefined : { field: spec.naturalKey, value };
  };

  /** QuickBooks takes 30 operations a batch; the engine sends that many, and a caller sending more is split. */
  const write = async (client: QuickBooksClient, items: WriteItem[], request?: WriteRequest): Promise<WriteResult[]> => {
    const results: WriteResult[] = [];
    for (let i = 0; i < items.length; i += BATCH_LIMIT) results.push(...(await writeBatch(client, items.slice(i, i + BATCH_LIMIT), request)));
    return results;
  };

  const writeBatch = async (client: QuickBooksClient, items: WriteItem[], request?: WriteRequest): Promise<WriteResult[]> => {
    const results: WriteResult[] = new Array(items.length);
    // An update needs the current SyncToken; a retried or matched create needs to know whether the record exists.
    const keys = new Map<number, Key>();
    items.forEach((item, i) => {
      const key = item.targetId ? { field: 'Id', value: item.targetId } : item.retry || item.match ? keyOf(item) : undefined;
      if (key) keys.set(i, key);
    });
    const first = await lookUp(client, keys);
    let existing = first.found;
    for (const [i, error] of first.ambiguous) results[i] = { ok: false, error };
    let pending = items.map((_, i) => i).filter((i) => !first.ambiguous.has(i));

    // Two rounds at most: the second resends what QuickBooks refused as stale (5010) or as a duplicate
    // of a record an earlier attempt created (6240 name, 6140 document number), now as updates.
    for (let round = 0; round < 2 && pending.length; round++) {
      const operations = pending.map((i) => {
        const found = existing.get(i);
        const body = found ? { ...items[i]!.payload, Id: found.Id, SyncToken: found.SyncToken, sparse: true } : items[i]!.payload;
        return { bId: String(i), operation: found ? 'update' : 'create', [entity]: body };
      });
      // The lookups, and the wait for a batch slot, may have taken a while: the run must still hold its lock when the batch goes.
      const answer = await client.writeBatch<BatchAnswer>(operations, requestIdOf(pending.map((i) => [items[i]!.idempotencyKey, existing.get(i)?.SyncToken])), request?.beforeWrite);
      const again = new Map<number, Key>();
      const refusals = new Map<number, ReturnType<typeof faultError>>();
      for (const response of answer.BatchItemResponse) {
        const i = Number(response.bId);
        const saved = response[entity] as Entity | undefined;
        if (saved) {
          results[i] = { ok: true, targetId: String(saved.Id), action: existing.has(i) ? 'updated' : 'created', version: String(saved.SyncToken) };
          continue;
        }
        const error = faultError(response.Fault ?? {}, 400);
        refusals.set(i, error);
        const code = error.code;
        const key = keyOf(items[i]!);
        if (round === 0 && code === '5010') again.set(i, { field: 'Id', value: existing.get(i)?.Id ?? items[i]!.targetId });
        else if (round === 0 && (code === '6240' || code === '6140') && !existing.has(i) && key) again.set(i, key);
        else results[i] = { ok: false, error };
      }
      if (!again.size) break;
      const second = await lookUp(client, again);
      existing = new Map([...existing, ...second.found]);
      pending = [...again.keys()];
      // Nothing found by the key: the refusal stands (a duplicate name belongs to someone else).
      for (const i of pending) if (!existing.has(i)) results[i] = { ok: false, error: second.ambiguous.get(i) ?? refusals.get(i)! };
      pending = pending.filter((i) => existing.has(i));
    }
    return items.map((_, i) => results[i] ?? { ok: false, error: new TransientError('QuickBooks did not answer for this item') });
  };

  return {
    description: spec.description,
    key: (record) => String(record.Id),
    updatedAt: (record) => (record.MetaData as JsonObject | undefined)?.LastUpdatedTime as string | undefined,
    version: (record) => (record.SyncToken === undefined ? undefined : String(record.SyncToken)),
    orderedByUpdatedAt: true,
    ...(entity === 'Customer' ? { creditOf: (record: JsonObject) => ({ limit: record.CreditLimit as number | undefined, balance: record.Balance as number | undefined }) } : { documentDate: 'TxnDate' }),
    schema: SCHEMAS[entity],
    // Every element Intuit's data model gives the entity (contract/SOURCE.md).
    fields: Object.keys((contract as unknown as { $defs: Record<string, { properties?: object }> }).$defs[entity]?.properties ?? {}),
    matchFields: spec.matchFields,
    batchSize: BATCH_LIMIT,
    concurrency: 2,
    async *read(client, request) {
      const where = request.since ? `where Metadata.LastUpdatedTime >= '${qboTimestamp(request.since)}' ` : '';
      for (let start = 1; ; start += 1000) {
        const rows = await retried(request, () => query(client, `${where}orderby Metadata.LastUpdatedTime asc startposition ${start} maxresults 1000`));
        yield { records: rows };
        if (rows.length < 1000) return;
      }
    },
    async get(client, ids) {
      const rows: Entity[] = [];
      for (let i = 0; i < ids.length; i += 100) rows.push(...(await query(client, `where Id in (${ids.slice(i, i + 100).map(quote).join(',')})`)));
      return rows;
    },
    write,
    async find(client, item) {
      const key = item.targetId ? { field: 'Id', value: item.targetId } : keyOf(item);
      if (!key) return undefined;
      const { found, ambiguous } = await lookUp(client, new Map([[0, key]]));
      if (ambiguous.has(0)) throw ambiguous.get(0)!;
      return found.get(0)?.Id;
    },
  };
}
