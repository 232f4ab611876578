/**
 * HubSpot CRM objects: incremental reads through the search API by last-modified time (a window past
 * HubSpot's 10,000-result cap is continued from the last time seen, never cut short), writes through
 * the batch endpoints (100 inputs): upsert by a unique property when the target id is not known,
 * update when it is.
 */
import type { Client } from '@hubspot/api-client';
import { type EntityDeclaration, type JsonObject, type ReadPage, type ReadRequest, retried, type WriteItem, type WriteRequest, type WriteResult } from '../../src/connector/types.js';
import { PermanentError, TransientError } from '../../src/errors.js';
import type { HttpInfo, HubSpotClient, RequestOptions } from './client.js';

type ObjectType = 'contacts' | 'companies' | 'deals' | 'line_items' | 'products';

interface Spec {
  type: ObjectType;
  /** Associated objects to attach to each record read: their ids, and for line items their properties. */
  associations?: { companies?: boolean; lineItems?: string[] };
  description: string;
  properties: string[];
  /** Unique-value properties an upsert may key on; `ferry_source_id` is a custom property Ferry asks you to create. */
  matchFields: string[];
  /** The property holding the last-modified time (contacts differ from the rest). */
  modified: string;
}

interface SimpleObject {
  id: string;
  properties: Record<string, string | null>;
  updatedAt?: Date | string;
  _new?: boolean;
}

const SEARCH_CAP = 10_000;
const PAGE = 200;
const BATCH = 100;

/** A 207 (some inputs refused) comes back as an answer, not an exception: results and errors side by side. */
type BatchAnswer = { results: SimpleObject[]; errors?: { context?: Record<string, string[]>; message: string; category: string }[] };
type WithHeaders<T> = Promise<HttpInfo<T>>;

/** The SDK's `...WithHttpInfo` calls: the same requests, with the answer's headers (the rate-limit budget) beside the body. */
function api(sdk: Client, type: ObjectType) {
  const crm = sdk.crm as unknown as Record<
    string,
    {
      searchApi: { doSearchWithHttpInfo(r: object, o: RequestOptions): WithHeaders<{ total: number; results: SimpleObject[]; paging?: { next?: { after: string } } }> };
      batchApi: {
        upsertWithHttpInfo(r: object, o: RequestOptions): WithHeaders<BatchAnswer>;
        updateWithHttpInfo(r: object, o: RequestOptions): WithHeaders<BatchAnswer>;
        readWithHttpInfo(r: object, archived: boolean | undefined, o: RequestOptions): WithHeaders<BatchAnswer>;
      };
    }
  >;
  const key = { contacts: 'contacts', companies: 'companies', deals: 'deals', line_items: 'lineItems', products: 'products' }[type];
  return crm[key]!;
}

const isoTime = (at: Date | string | undefined) => (at instanceof Date ? at.toISOString() : at);
const flatten = (o: SimpleObject): JsonObject => ({ id: o.id, ...o.properties, updatedAt: isoTime(o.updatedAt) });

export function hubSpotEntity(spec: Spec): EntityDeclaration<HubSpotClient> {
  const search = (client: HubSpotClient, request: object) => client.call((sdk, o) => api(sdk, spec.type).searchApi.doSearchWithHttpInfo(request, o), 'search');

  async function* read(client: HubSpotClient, request: ReadRequest): AsyncIterable<ReadPage> {
    let since = request.since?.getTime() ?? 0;
    let after = 0;
    let first = true;
    for (;;) {
      const query = {
        filterGroups: [{ filters: [{ propertyName: spec.modified, operator: 'GTE', value: String(since) }] }],
        sorts: [spec.modified],
        properties: [...spec.properties, spec.modified],
        limit: PAGE,
        after: String(after),
      };
      const page = await retried(request, () => search(client, query));
      // The first window's total counts every record modified since; a later window's would count some twice.
      yield { records: await retried(request, () => attachAssociations(client, spec, page.results.map(flatten))), total: first ? page.total : undefined };
      first = false;
      if (!page.paging?.next) return;
      after += PAGE;
      if (after + PAGE > SEARCH_CAP) {
        // Start a new window at the last modification seen: HubSpot answers at most 10,000 per query.
        const last = page.results.at(-1);
        const lastModified = Date.parse(String(last?.properties[spec.modified]));
        if (!(lastModified > since)) throw new PermanentError(`more than ${SEARCH_CAP} ${spec.type} share one modification time; HubSpot's search cannot page past them`);
        since = lastModified;
        after = 0;
      }
    }
  }

  const write = async (client: HubSpotClient, items: WriteItem[], request?: WriteRequest): Promise<WriteResult[]> => {
    const results: WriteResult[] = new Array(items.length);
    const properties = (item: WriteItem) => Object.fromEntries(Object.entries(item.payload).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
    // A record whose id is known, to the ledger or to the flow (`match: { field: hs_object_id }`), is updated in place.
    const idOf = (item: WriteItem) => item.targetId ?? (item.match?.field === 'hs_object_id' ? String(item.match.value) : undefined);
    const known = items.map((item, i) => ({ item, i, id: idOf(item) })).filter((k): k is { item: WriteItem; i: number; id: string } => k.id !== undefined);
    const unknown = items.map((item, i) => ({ item, i })).filter(({ item }) => idOf(item) === undefined);

    if (known.length) {
      // The lock is checked when the budget lets the request go, right before it is sent.
      const answer = await client.call((sdk, o) => (request?.beforeWrite?.(), api(sdk, spec.type).batchApi.updateWithHttpInfo({ inputs: known.map(({ item, id }) => ({ id, properties: properties(item) })) }, o)));
      known.forEach(({ id, i }, position) => {
        const saved = answer.results.find((r) => r.id === id);
        results[i] = saved ? { ok: true, targetId: saved.id, action: 'updated', version: isoTime(saved.updatedAt) } : { ok: false, error: errorFor(answer.errors, id, position) };
      });
    }
    if (unknown.length) {
      // Keyed by the flow's match field, or by the record's own source id in Ferry's custom property.
      const keyed = unknown.map(({ item, i }) => {
        const idProperty = item.match?.field ?? 'ferry_source_id';
        const id = String(item.match?.value ?? item.sourceId);
        return { i, idProperty, id, properties: idProperty === 'ferry_source_id' ? { ...properties(item), ferry_source_id: id } : properties(item) };
      });
      for (const idProperty of new Set(keyed.map((k) => k.idProperty))) {
        const group = keyed.filter((k) => k.idProperty === idProperty);
        const answer = await client.call((sdk, o) => (request?.beforeWrite?.(), api(sdk, spec.type).batchApi.upsertWithHttpInfo({ inputs: group.map((k) => ({ id: k.id, idProperty, properties: k.properties })) }, o)));
        group.forEach((k, position) => {
          const saved = answer.results.find((r) => String(r.properties[idProperty]).toLowerCase() === k.id.toLowerCase());
          results[k.i] = saved ? { ok: true, targetId: saved.id, action: saved._new ? 'created' : 'updated', version: isoTime(saved.updatedAt) } : { ok: false, error: errorFor(answer.errors, k.id, position) };
        });
      }
    }
    return results;
  };

  return {
    description: spec.description,
    key: (record) => String(record.id),
    updatedAt: (record) => {
      const value = record[spec.modified] ?? record.updatedAt;
      return value ? new Date(Number.isFinite(Number(value)) ? Number(value) : String(value)).toISOString() : undefined;
    },
    version: (record) => (typeof record.updatedAt === 'string' ? record.updatedAt : undefined),
    orderedByUpdatedAt: true,
    matchFields: spec.matchFields,
    batchSize: BATCH,
    concurrency: 2,
    read,
    async get(client, ids) {
      const out: JsonObject[] = [];
      for (let i = 0; i < ids.length; i += BATCH) {
        const answer = await client.call((sdk, o) => api(sdk, spec.type).batchApi.readWithHttpInfo({ inputs: ids.slice(i, i + BATCH).map((id) => ({ id })), properties: spec.properties, propertiesWithHistory: [] }, undefined, o));
        out.push(...(await attachAssociations(client, spec, answer.results.map(flatten))));
      }
      return out;
    },
    write,
    async find(client, item) {
      const property = item.targetId ? 'hs_object_id' : (item.match?.field ?? 'ferry_source_id');
      const value = item.targetId ?? String(item.match?.value ?? item.sourceId);
      const page = await search(client, { filterGroups: [{ filters: [{ propertyName: property, operator: 'EQ', value }] }], properties: [], limit: 1, after: '0', sorts: [] });
      return page.results[0]?.id;
    },
  };
}

// The SDK deserialises the wire's `from` as `_from` (a reserved word in its generator).
type AssociationAnswer = { results: { _from: { id: string }; to: { toObjectId: number | string }[] }[] };

/**
 * A deal's company and line items, attached to the deal record (`companies: [ids]`, `line_items: [...]`):
 * one batch association read per kind and one batch read of the line items, per page of deals.
 * A change to a line item alone does not move the deal's modification time; the next change to the
 * deal, or a resync, carries it.
 */
async function attachAssociations(client: HubSpotClient, spec: Spec, records: JsonObject[]): Promise<JsonObject[]> {
  if (!spec.associations || !records.length) return records;
  const inputs = records.map((r) => ({ id: String(r.id) }));
  const read = async (to: string) => {
    const answer = (await client.call((sdk, o) => sdk.crm.associations.v4.batchApi.getPageWithHttpInfo(spec.type, to, { inputs }, o))) as unknown as AssociationAnswer;
    return new Map(answer.results.map((r) => [String(r._from.id), r.to.map((t) => String(t.toObjectId))]));
  };
  const companies = spec.associations.companies ? await read('companies') : new Map<string, string[]>();
  const lineItemIds = spec.associations.lineItems ? await read('line_items') : new Map<string, string[]>();
  const allLineItems = [...new Set([...lineItemIds.values()].flat())];
  const lineItems = new Map<string, JsonObject>();
  for (let i = 0; i < allLineItems.length; i += BATCH) {
    const answer = await client.call((sdk, o) => api(sdk, 'line_items').batchApi.readWithHttpInfo({ inputs: allLineItems.slice(i, i + BATCH).map((id) => ({ id })), properties: spec.associations!.lineItems!, propertiesWithHistory: [] }, undefined, o));
    for (const item of answer.results) lineItems.set(item.id, { id: item.id, ...item.properties });
  }
  return records.map((r) => ({
    ...r,
    ...(spec.associations!.companies ? { companies: companies.get(String(r.id)) ?? [] } : {}),
    ...(spec.associations!.lineItems ? { line_items: (lineItemIds.get(String(r.id)) ?? []).map((id) => lineItems.get(id)).filter(Boolean) } : {}),
  }));
}

function errorFor(errors: { context?: Record<string, string[]>; message: string; category: string }[] | undefined, id: string, position: number) {
  const found = errors?.find((e) => e.context?.id?.includes(id) || e.context?.ids?.includes(id) || e.context?.index?.includes(String(position)));
  if (!found) return new TransientError(`HubSpot did not answer for ${id}`);
  const field = /"name":"([^"]+)"/.exec(found.message)?.[1];
  return new PermanentError(found.message, { code: found.category, field });
}
