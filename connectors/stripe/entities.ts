/**
 * Stripe entities. Stripe lists have no "updated since" filter, so incremental reads follow the Events
 * API (`<object>.*` events since the cursor; the newest event of each object carries its latest state).
 * Stripe keeps events for 30 days: an older cursor falls back to a full read, and the run says so.
 * Writes carry idempotency keys derived from Ferry's ledger key, and a `ferry_key` in metadata so a
 * retry long after Stripe has forgotten the key still finds the first write.
 */
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { type EntityDeclaration, type JsonObject, type ReadPage, type ReadRequest, retried, type WriteItem, type WriteRequest, type WriteResult } from '../../src/connector/types.js';
import { PermanentError, toFerryError } from '../../src/errors.js';
import type { StripeClient } from './client.js';

const EVENT_RETENTION_MS = 30 * 86_400_000;
type Resource = 'customers' | 'products' | 'prices' | 'invoices' | 'paymentIntents' | 'charges' | 'refunds';
type Page = { data: JsonObject[]; has_more: boolean };
type Listable = { list(params: object): Promise<Page> };

/**
 * The SDK turns decimal strings (`unit_amount_decimal`) into its own Decimal objects; Ferry's records are
 * plain JSON, as on the wire, so mappings and content hashes see what Stripe sent.
 */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Every page of a list, one request each, through the client's budget (the SDK's auto-paging would bypass it). */
async function* pages(client: StripeClient, fetch: (sdk: Stripe, startingAfter?: string) => Promise<Page>, request?: ReadRequest): AsyncIterable<JsonObject[]> {
  let startingAfter: string | undefined;
  for (;;) {
    const page = plain(await retried(request, () => client.call((sdk) => fetch(sdk, startingAfter))));
    yield page.data;
    if (!page.has_more || !page.data.length) return;
    startingAfter = String(page.data.at(-1)!.id);
  }
}

/**
 * One Stripe request through the client's budget, retried on its own under the flow's policy when the
 * engine gave one. Every request a write makes is safe to repeat: reads, creates and steps carrying an
 * idempotency key, updates that set what they set.
 */
type Call = <T>(task: (sdk: Stripe) => Promise<T>) => Promise<T>;
const caller = (client: StripeClient, request?: WriteRequest): Call => (task) => retried(request, () => client.call(task));

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
  write?(call: Call, item: WriteItem): Promise<WriteResult>;
  locate?(call: Call, item: WriteItem): Promise<string | undefined>;
  matchFields?: string[];
  /** (locate) The object an earlier write of this item made or adopted, as the write itself would find it; default: by id, else by `ferry_key`. */
  /** What a record needs from other endpoints before Ferry sees it (an invoice's remaining lines, a payment's invoice). */
  complete?(client: StripeClient, records: JsonObject[], request?: ReadRequest): Promise<void>;
}

export function stripeEntity(spec: Spec): EntityDeclaration<StripeClient> {
  const list = (sdk: Stripe) => sdk[spec.resource] as unknown as Listable;

  async function* read(client: StripeClient, request: ReadRequest): AsyncIterable<ReadPage> {
    const since = request.since;
    if (!since || Date.now() - since.getTime() > EVENT_RETENTION_MS) {
      const reason = since ? 'full read: the cursor is older than the 30 days Stripe keeps events' : undefined;
      for await (const records of pages(client, (sdk, startingAfter) => list(sdk).list({ limit: 100, starting_after: startingAfter }), request)) {
        await spec.complete?.(client, records, request);
        yield { records, fullReadReason: reason };
      }
      return;
    }
    // The newest event per object wins; events come newest first.
    const latest = new Map<string, JsonObject>();
    const gte = Math.floor(since.getTime() / 1000);
    for await (const events of pages(client, (sdk, startingAfter) => sdk.events.list({ type: `${spec.object}.*`, created: { gte }, limit: 100, starting_after: startingAfter }) as unknown as Promise<Page>, request)) {
      for (const event of events) {
        const object = (event.data as { object: JsonObject }).object;
        if (!latest.has(String(object.id))) {
          Object.defineProperty(object, CHANGED_AT, { value: event.created, enumerable: false });
          latest.set(String(object.id), object);
        }
      }
    }
    const records = [...latest.values()].sort((a, b) => Date.parse(changedAt(a)!) - Date.parse(changedAt(b)!));
    for (let i = 0; i < records.length; i += 100) {
      const page = records.slice(i, i + 100);
      await spec.complete?.(client, page, request);
      yield { records: page };
    }
  }

  return {
    description: spec.description,
    // Every Stripe object carries its creation time, in seconds since 1970.
    documentDate: 'created',
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
        out.push(plain(resource));
      }
      await spec.complete?.(client, out);
      return out;
    },
    write: spec.write
      ? async (client, items, request) =>
          Promise.all(
            items.map(async (item) => {
              try {
                return await spec.write!(caller(client, request), item);
              } catch (error) {
                return { ok: false as const, error: toFerryError(error) };
              }
            }),
          )
      : undefined,
    async find(client, item) {
      const call = caller(client);
      return spec.locate ? spec.locate(call, item) : (item.targetId ?? findByKey(call, spec.resource, item.sourceId));
    },
  };
}

/**
 * The customer a write of this item updates: the one the ledger knows, else the flow's match (email),
 * else, when an earlier attempt may have created one (`lookEverywhere`), the one carrying its `ferry_key`.
 * Settling a crashed write asks the same questions, so it adopts what the write would have.
 */
async function existingCustomer(call: Call, item: WriteItem, lookEverywhere: boolean): Promise<string | undefined> {
  if (item.targetId) return item.targetId;
  if (item.match?.field === 'email') {
    const byEmail = (await call((sdk) => sdk.customers.list({ email: String(item.match!.value), limit: 1 }))).data[0]?.id;
    if (byEmail) return byEmail;
  }
  return lookEverywhere ? findByKey(call, 'customers', item.sourceId) : undefined;
}

export const locateCustomer = (call: Call, item: WriteItem) => existingCustomer(call, item, true);

/** A customer: created with an idempotency key, or updated; matched by email when the flow says so. */
export async function writeCustomer(call: Call, item: WriteItem): Promise<WriteResult> {
  const params = { ...item.payload, metadata: { ...(item.payload.metadata as object), ferry_key: item.sourceId } } as Stripe.CustomerCreateParams;
  const targetId = await existingCustomer(call, item, item.retry === true);
  if (targetId) {
    const updated = await call((sdk) => sdk.customers.update(targetId, params as Stripe.CustomerUpdateParams));
    return { ok: true, targetId: updated.id, action: 'updated' };
  }
  const created = await call((sdk) => sdk.customers.create(params, { idempotencyKey: item.idempotencyKey }));
  return { ok: true, targetId: created.id, action: 'created' };
}

/** The object an earlier write made, by the `ferry_key` it carries; undefined where Stripe offers no search. */
async function findByKey(call: Call, resource: Resource, sourceId: string): Promise<string | undefined> {
  type Searchable = { search?(p: object): Promise<{ data: JsonObject[] }> };
  const query = `metadata['ferry_key']:'${sourceId.replace(/'/g, "\\'")}'`;
  const found = await call((sdk) => {
    const searchable = sdk[resource] as unknown as Searchable;
    return searchable.search ? searchable.search({ query, limit: 1 }) : Promise.resolve({ data: [] });
  });
  return found.data[0] ? String(found.data[0].id) : undefined;
}

interface InvoiceLine {
  /** A price by id, or by its `lookup_key` (the SKU, in Ferry's flows); `unit_amount` (minor units) overrides the price's. */
  price?: string;
  lookup_key?: string;
  unit_amount?: number;
  /** A line with no price: its amount in minor units. */
  amount?: number;
  currency?: string;
  quantity?: number;
  description?: string;
  metadata?: Record<string, string>;
}

interface InvoicePayload {
  customer: string;
  collection_method?: 'send_invoice' | 'charge_automatically';
  days_until_due?: number;
  description?: string;
  metadata?: Record<string, string>;
  currency?: string;
  lines: InvoiceLine[];
  finalize?: boolean;
  send?: boolean;
}

/** The prices lines name by `lookup_key`, ten keys a request (Stripe's limit); an unknown key refuses the invoice before anything is written. */
async function pricesByLookupKey(call: Call, lines: InvoiceLine[]): Promise<Map<string, Stripe.Price>> {
  const keys = [...new Set(lines.flatMap((l) => (l.lookup_key ? [l.lookup_key] : [])))];
  const found = new Map<string, Stripe.Price>();
  for (let i = 0; i < keys.length; i += 10) {
    const page = await call((sdk) => sdk.prices.list({ lookup_keys: keys.slice(i, i + 10), limit: 10 }));
    for (const price of page.data) if (price.lookup_key) found.set(price.lookup_key, price);
  }
  const missing = lines.findIndex((l) => l.lookup_key && !found.has(l.lookup_key));
  if (missing >= 0) throw new PermanentError(`no Stripe price has the lookup_key '${lines[missing]!.lookup_key}'`, { field: `lines[${missing}].lookup_key` });
  return found;
}

/**
 * An invoice is several calls: the draft, one item per line, finalize, send. It is written only when it
 * has reached the state the flow asks for, so any step a failure cut short is finished by whoever comes
 * next: a retry in the run, the next run, or the settlement after a crash. Each step has its own
 * idempotency key derived from the record's, so a step resent with the same key is replayed, not done
 * twice; an invoice found again under a newer key (a later run) is brought to that state from what it
 * holds: its lines by the `ferry_line` each carries, and whether it was sent by `ferry_sent`, which Ferry
 * sets once the send has been answered (Stripe's invoice object says nothing of sending).
 */
export async function writeInvoice(call: Call, item: WriteItem): Promise<WriteResult> {
  const p = item.payload as unknown as InvoicePayload;
  const key = item.idempotencyKey;
  const metadata = { ...p.metadata, ferry_key: item.sourceId };
  const lines = p.lines.map((line, n) => ({ line, tag: lineTag(n, line) }));
  const known = item.targetId ?? (item.retry ? await findByKey(call, 'invoices', item.sourceId) : undefined);
  let invoice: Stripe.Invoice;
  // Unknown lookup keys refuse the invoice before anything is written.
  const prices = known ? undefined : await pricesByLookupKey(call, p.lines);
  const draft = known ? undefined : await call((sdk) =>
    sdk.invoices.create(
      { customer: p.customer, collection_method: p.collection_method ?? 'send_invoice', days_until_due: p.collection_method === 'charge_automatically' ? undefined : (p.days_until_due ?? 30), description: p.description, metadata, currency: p.currency, auto_advance: false },
      { idempotencyKey: `${key}:draft` },
    ),
  );
  // A replay is the answer an earlier attempt got, not the invoice as it stands now (Stripe's search can
  // take a minute to show a new invoice): such a draft is carried on from its current state, as a known one is.
  if (draft && draft.lastResponse?.headers?.['idempotent-replayed'] !== 'true') {
    invoice = draft;
    for (const [n, { line, tag }] of lines.entries()) await addLine(call, draft.id!, p, line, tag, prices!, `${key}:line:${n}`);
  } else {
    const id = (known ?? draft!.id)!;
    invoice = await call((sdk) => sdk.invoices.update(id, { description: p.description, metadata }));
    // A draft an earlier attempt (or a person) left: its lines are made to match the flow's.
    if (invoice.status === 'draft') await completeLines(call, id, p, lines, key);
  }
  const id = invoice.id!;
  if (invoice.status === 'draft' && p.finalize !== false) invoice = await call((sdk) => sdk.invoices.finalizeInvoice(id, {}, { idempotencyKey: `${key}:finalize` }));
  if (sendable(p, invoice) && !invoice.metadata?.ferry_sent) {
    await call((sdk) => sdk.invoices.sendInvoice(id, {}, { idempotencyKey: `${key}:send` }));
    await call((sdk) => sdk.invoices.update(id, { metadata: { ferry_sent: 'true' } }, { idempotencyKey: `${key}:sent` }));
  }
  // A record the ledger did not know yet is a new invoice, even when an earlier, unfinished attempt made its draft.
  return { ok: true, targetId: id, action: item.targetId ? 'updated' : 'created' };
}

const sendable = (p: InvoicePayload, invoice: Stripe.Invoice) => Boolean(p.send) && (p.collection_method ?? 'send_invoice') === 'send_invoice' && invoice.status === 'open';

/**
 * Settling a crashed write: the invoice counts as written only in the state the flow asks for. One an
 * interrupted attempt left as a draft, or finalized but not yet sent, is not adopted; the record is written
 * again, and the write (which finds it by its `ferry_key`) finishes it.
 */
export async function locateInvoice(call: Call, item: WriteItem): Promise<string | undefined> {
  const id = item.targetId ?? (await findByKey(call, 'invoices', item.sourceId));
  if (!id) return undefined;
  const p = item.payload as unknown as InvoicePayload;
  const invoice = await call((sdk) => sdk.invoices.retrieve(id));
  const finalized = p.finalize === false || invoice.status !== 'draft';
  const sent = !sendable(p, invoice) || Boolean(invoice.metadata?.ferry_sent);
  return finalized && sent ? id : undefined;
}

/** A delete repeated after its answer was lost finds the item gone: that is the outcome it wanted. */
async function deleteItem(call: Call, id: string): Promise<void> {
  try {
    await call((sdk) => sdk.invoiceItems.del(id));
  } catch (error) {
    if (!(error instanceof PermanentError && error.code === 'resource_missing')) throw error;
  }
}

/** `ferry_line` on an invoice item: which line of the flow's it is, and a digest of what the line said. */
function lineTag(n: number, line: InvoiceLine): string {
  return `${n}:${createHash('sha1').update(JSON.stringify(line)).digest('hex').slice(0, 12)}`;
}

async function addLine(call: Call, invoice: string, p: InvoicePayload, line: InvoiceLine, tag: string, prices: Map<string, Stripe.Price>, idempotencyKey: string): Promise<void> {
  const common = { customer: p.customer, invoice, description: line.description, metadata: { ...line.metadata, ferry_line: tag } };
  const price = line.lookup_key ? prices.get(line.lookup_key)! : undefined;
  const params: Stripe.InvoiceItemCreateParams =
    price && line.unit_amount !== undefined && line.unit_amount !== price.unit_amount
      ? { ...common, price_data: { product: String(price.product), unit_amount: line.unit_amount, currency: price.currency }, quantity: line.quantity ?? 1 }
      : price || line.price
        ? { ...common, pricing: { price: price?.id ?? line.price }, quantity: line.quantity ?? 1 }
        : { ...common, amount: line.amount, currency: line.currency ?? p.currency ?? 'usd' };
  await call((sdk) => sdk.invoiceItems.create(params, { idempotencyKey }));
}

/**
 * A draft's items made to match the flow's lines: an item whose `ferry_line` no longer matches a line
 * (the source changed between attempts) is deleted, and each line with no item is added. Items without
 * a `ferry_line` were added by a person and stay.
 */
async function completeLines(call: Call, invoice: string, p: InvoicePayload, lines: { line: InvoiceLine; tag: string }[], key: string): Promise<void> {
  const items: Stripe.InvoiceItem[] = [];
  for (let after: string | undefined; ; ) {
    const page = await call((sdk) => sdk.invoiceItems.list({ invoice, limit: 100, starting_after: after }));
    items.push(...page.data);
    if (!page.has_more || !page.data.length) break;
    after = page.data.at(-1)!.id;
  }
  const wanted = new Set(lines.map((l) => l.tag));
  const present = new Set<string>();
  for (const existing of items) {
    const tag = existing.metadata?.ferry_line;
    if (tag === undefined) continue;
    if (wanted.has(tag) && !present.has(tag)) present.add(tag);
    else await deleteItem(call, existing.id);
  }
  const missing = [...lines.entries()].filter(([, l]) => !present.has(l.tag));
  if (!missing.length) return;
  const prices = await pricesByLookupKey(call, missing.map(([, l]) => l.line));
  for (const [n, { line, tag }] of missing) await addLine(call, invoice, p, line, tag, prices, `${key}:line:${n}`);
}

type LineList = { data: JsonObject[]; has_more: boolean };

/** An invoice's embedded `lines` stop at the first page; the rest are read from its lines endpoint. */
export async function completeInvoiceLines(client: StripeClient, invoices: JsonObject[], request?: ReadRequest): Promise<void> {
  for (const invoice of invoices) {
    const lines = invoice.lines as LineList | undefined;
    while (lines?.has_more) {
      const next = await retried(request, () => client.call((sdk) => sdk.invoices.listLineItems(String(invoice.id), { limit: 100, starting_after: String(lines.data.at(-1)!.id) }) as unknown as Promise<LineList>));
      lines.data.push(...plain(next.data));
      lines.has_more = next.has_more && next.data.length > 0;
    }
  }
}

/** The invoice a payment paid, as much as cash application needs of it. */
export interface PaidInvoice {
  id: string;
  number: string | null;
  customer: string;
  status: string;
  total: number;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
}

const summary = (invoice: Stripe.Invoice): PaidInvoice => ({
  id: invoice.id!,
  number: invoice.number,
  customer: typeof invoice.customer === 'string' ? invoice.customer : String(invoice.customer?.id),
  status: String(invoice.status),
  total: invoice.total,
  amount_due: invoice.amount_due,
  amount_paid: invoice.amount_paid,
  amount_remaining: invoice.amount_remaining,
});

/**
 * Which invoice a payment paid. Since API 2025-03-31 a payment intent no longer names its invoice; the
 * invoice payment that links them does. A payment no invoice claims (a transfer the customer made
 * themselves) is matched by reference: an open invoice of the same customer whose number appears in the
 * payment's description or `metadata.invoice_number`. Sets `invoice` (or null) and `invoice_matched_by`;
 * whether the amount fits is for the flow's rules to judge.
 */
export async function completePaymentInvoices(client: StripeClient, intents: JsonObject[], request?: ReadRequest): Promise<void> {
  const call = <T>(task: (sdk: Stripe) => Promise<T>) => retried(request, () => client.call(task));
  for (const intent of intents) {
    let invoice: PaidInvoice | null = null;
    let matchedBy: 'invoice_payment' | 'reference' | null = null;
    if (intent.status === 'succeeded') {
      const links = await call((sdk) => sdk.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: String(intent.id) }, expand: ['data.invoice'], limit: 1 }));
      const linked = links.data[0]?.invoice;
      if (linked && typeof linked === 'object') {
        invoice = summary(linked as Stripe.Invoice);
        matchedBy = 'invoice_payment';
      } else if (intent.customer) {
        const text = `${String(intent.description ?? '')} ${String((intent.metadata as Record<string, string> | undefined)?.invoice_number ?? '')}`;
        const open = await call((sdk) => sdk.invoices.list({ customer: String(intent.customer), status: 'open', limit: 100 }));
        const named = open.data.find((candidate) => candidate.number && text.includes(candidate.number));
        if (named) {
          invoice = summary(named);
          matchedBy = 'reference';
        }
      }
    }
    Object.assign(intent, { invoice, invoice_matched_by: matchedBy });
  }
}
