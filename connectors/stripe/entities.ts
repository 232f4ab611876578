/**
 * Stripe entities. Stripe lists have no "updated since" filter, so incremental reads follow the Events
 * API (`<object>.*` events since the cursor; the newest event of each object carries its latest state).
 * Stripe keeps events for 30 days: an older cursor falls back to a full read, and the run says so.
 * Writes carry idempotency keys derived from Ferry's ledger key, and a `ferry_key` in metadata so a
 * retry long after Stripe has forgotten the key still finds the first write.
 */
import type Stripe from 'stripe';
import { type EntityDeclaration, type JsonObject, type ReadPage, type ReadRequest, retried, type WriteItem, type WriteResult } from '../../src/connector/types.js';
import { toFerryError } from '../../src/errors.js';
import type { StripeClient } from './client.js';

const EVENT_RETENTION_MS = 30 * 86_400_000;
type Resource = 'customers' | 'products' | 'prices' | 'invoices' | 'paymentIntents' | 'charges' | 'refunds';
type Page = { data: JsonObject[]; has_more: boolean };
type Listable = { list(params: object): Promise<Page> };

/** Every page of a list, one request each, through the client's budget (the SDK's auto-paging would bypass it). */
async function* pages(client: StripeClient, fetch: (sdk: Stripe, startingAfter?: string) => Promise<Page>, request?: ReadRequest): AsyncIterable<JsonObject[]> {
  let startingAfter: string | undefined;
  for (;;) {
    const page = await retried(request, () => client.call((sdk) => fetch(sdk, startingAfter)));
    yield page.data;
    if (!page.has_more || !page.data.length) return;
    startingAfter = String(page.data.at(-1)!.id);
  }
}

/** When the object last changed, as Ferry's cursor sees it: kept off the record's enumerable fields so it does not change its hash. */
const CHANGED_AT = Symbol('changedAt');

function changedAt(record: JsonObject): string | undefined {
  const at = (record as { [CHANGED_AT]?: number })[CHANGED_AT] ?? (record.created as number | undefined);
  return at === undefined ? undefined : new Date(at * 1000).toISOString();
}

interface Spec {
  resource: Resource;
  /** The `object` name in events (`payment_intent`). */
  object: string;
  description: string;
  write?(client: StripeClient, item: WriteItem): Promise<WriteResult>;
  matchFields?: string[];
}

export function stripeEntity(spec: Spec): EntityDeclaration<StripeClient> {
  const list = (sdk: Stripe) => sdk[spec.resource] as unknown as Listable;

  async function* read(client: StripeClient, request: ReadRequest): AsyncIterable<ReadPage> {
    const since = request.since;
    if (!since || Date.now() - since.getTime() > EVENT_RETENTION_MS) {
      const reason = since ? 'full read: the cursor is older than the 30 days Stripe keeps events' : undefined;
      for await (const records of pages(client, (sdk, startingAfter) => list(sdk).list({ limit: 100, starting_after: startingAfter }), request)) yield { records, fullReadReason: reason };
      return;
    }
    // The newest event per object wins; events come newest first.
    const latest = new Map<string, JsonObject>();
    const gte = Math.floor(since.getTime() / 1000);
    for await (const events of pages(client, (sdk, startingAfter) => sdk.events.list({ type: `${spec.object}.*`, created: { gte }, limit: 100, starting_after: startingAfter }) as unknown as Promise<Page>, request)) {
      for (const event of events) {
        const object = structuredClone((event.data as { object: JsonObject }).object);
        if (!latest.has(String(object.id))) {
          Object.defineProperty(object, CHANGED_AT, { value: event.created, enumerable: false });
          latest.set(String(object.id), object);
        }
      }
    }
    const records = [...latest.values()].sort((a, b) => Date.parse(changedAt(a)!) - Date.parse(changedAt(b)!));
    for (let i = 0; i < records.length; i += 100) yield { records: records.slice(i, i + 100) };
  }

  return {
    description: spec.description,
    key: (record) => String(record.id),
    updatedAt: changedAt,
    orderedByUpdatedAt: false,
    matchFields: spec.matchFields,
    batchSize: 1,
    concurrency: 8,
    read,
    async get(client, ids) {
      const out: JsonObject[] = [];
      for (const id of ids) {
        const resource = await client.call((sdk) => (sdk[spec.resource] as unknown as { retrieve(id: string): Promise<JsonObject> }).retrieve(id));
        out.push(resource);
      }
      return out;
    },
    write: spec.write
      ? async (client, items) =>
          Promise.all(
            items.map(async (item) => {
              try {
                return await spec.write!(client, item);
              } catch (error) {
                return { ok: false as const, error: toFerryError(error) };
              }
            }),
          )
      : undefined,
    async find(client, item) {
      return item.targetId ?? findByKey(client, spec.resource, item.sourceId);
    },
  };
}

/** A customer: created with an idempotency key, or updated; matched by email when the flow says so. */
export async function writeCustomer(client: StripeClient, item: WriteItem): Promise<WriteResult> {
  const params = { ...item.payload, metadata: { ...(item.payload.metadata as object), ferry_key: item.sourceId } } as Stripe.CustomerCreateParams;
  let targetId = item.targetId;
  if (!targetId && item.match?.field === 'email') {
    targetId = (await client.call((sdk) => sdk.customers.list({ email: String(item.match!.value), limit: 1 }))).data[0]?.id;
  }
  if (!targetId && item.retry) targetId = await findByKey(client, 'customers', item.sourceId);
  if (targetId) {
    const updated = await client.call((sdk) => sdk.customers.update(targetId!, params as Stripe.CustomerUpdateParams));
    return { ok: true, targetId: updated.id, action: 'updated' };
  }
  const created = await client.call((sdk) => sdk.customers.create(params, { idempotencyKey: item.idempotencyKey }));
  return { ok: true, targetId: created.id, action: 'created' };
}

/** The object an earlier write made, by the `ferry_key` it carries; undefined where Stripe offers no search. */
async function findByKey(client: StripeClient, resource: Resource, sourceId: string): Promise<string | undefined> {
  const searchable = client.sdk[resource] as unknown as { search?(p: object): Promise<{ data: JsonObject[] }> };
  if (!searchable.search) return undefined;
  const query = `metadata['ferry_key']:'${sourceId.replace(/'/g, "\\'")}'`;
  const found = await client.call(() => searchable.search!({ query, limit: 1 }));
  return found.data[0] ? String(found.data[0].id) : undefined;
}

interface InvoicePayload {
  customer: string;
  collection_method?: 'send_invoice' | 'charge_automatically';
  days_until_due?: number;
  description?: string;
  metadata?: Record<string, string>;
  currency?: string;
  lines: { price?: string; amount?: number; currency?: string; quantity?: number; description?: string }[];
  finalize?: boolean;
  send?: boolean;
}

/**
 * An invoice is several calls: the draft, one item per line, finalize, send. Each has its own idempotency
 * key derived from the record's, so a retry replays what already happened and finishes the rest.
 */
export async function writeInvoice(client: StripeClient, item: WriteItem): Promise<WriteResult> {
  const p = item.payload as unknown as InvoicePayload;
  const key = item.idempotencyKey;
  const metadata = { ...p.metadata, ferry_key: item.sourceId };
  let id = item.targetId ?? (item.retry ? await findByKey(client, 'invoices', item.sourceId) : undefined);
  if (id) {
    // A finalized invoice keeps its lines; what can change is its description and metadata.
    await client.call((sdk) => sdk.invoices.update(id!, { description: p.description, metadata }));
    return { ok: true, targetId: id, action: 'updated' };
  }
  const draft = await client.call((sdk) =>
    sdk.invoices.create(
      { customer: p.customer, collection_method: p.collection_method ?? 'send_invoice', days_until_due: p.collection_method === 'charge_automatically' ? undefined : (p.days_until_due ?? 30), description: p.description, metadata, currency: p.currency, auto_advance: false },
      { idempotencyKey: `${key}:draft` },
    ),
  );
  id = draft.id!;
  for (const [n, line] of p.lines.entries()) {
    const params: Stripe.InvoiceItemCreateParams = line.price
      ? { customer: p.customer, invoice: id, pricing: { price: line.price }, quantity: line.quantity ?? 1, description: line.description }
      : { customer: p.customer, invoice: id, amount: line.amount, currency: line.currency ?? p.currency ?? 'usd', description: line.description };
    await client.call((sdk) => sdk.invoiceItems.create(params, { idempotencyKey: `${key}:line:${n}` }));
  }
  if (p.finalize !== false) await client.call((sdk) => sdk.invoices.finalizeInvoice(id!, {}, { idempotencyKey: `${key}:finalize` }));
  if (p.send && (p.collection_method ?? 'send_invoice') === 'send_invoice') await client.call((sdk) => sdk.invoices.sendInvoice(id!, {}, { idempotencyKey: `${key}:send` }));
  return { ok: true, targetId: id, action: 'created' };
}
