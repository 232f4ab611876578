/**
 * Shopify entities over the GraphQL Admin API. Reads are incremental by `updated_at`, oldest change
 * first (`query: "updated_at:>='…'"`, `sortKey: UPDATED_AT`), following `pageInfo.endCursor`. An order
 * page carries each order's lines, transactions and refunds, so payments and refunds need no request
 * per order. More changed orders than the connection's `bulk_threshold` (250) are read by one bulk
 * operation instead of pages. Records come out in Shopify's REST shape (records.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { type EntityDeclaration, type JsonObject, type ReadPage, type ReadRequest, retried, type WriteItem, type WriteRequest, type WriteResult } from '../../src/connector/types.js';
import { PermanentError, toFerryError, TransientError } from '../../src/errors.js';
import type { ShopifyClient } from './client.js';
import * as doc from './documents.js';
import * as records from './records.js';

type Gql = Record<string, unknown>;
interface Page {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: Gql[];
}

const BULK_POLL_MS = 1_000;
const sinceQuery = (since?: Date) => (since ? `updated_at:>='${since.toISOString()}'` : undefined);
const gid = (type: string, id: string | number) => `gid://shopify/${type}/${String(id)}`;

/** Every page of a connection at the query's root, by its cursor. */
async function* pages(client: ShopifyClient, request: ReadRequest, document: string, root: string, variables: Gql): AsyncIterable<Gql[]> {
  for (let after: string | null = null; ; ) {
    const vars: Gql = { ...variables, after };
    const data = await retried(request, () => client.graphql<Record<string, Page>>(document, vars));
    const page = data[root]!;
    yield page.nodes;
    if (!page.pageInfo.hasNextPage) return;
    after = page.pageInfo.endCursor;
  }
}

/** An entity read by pages of a root connection and fetched by id through `nodes(ids:)`. */
function pagedEntity(
  description: string,
  document: string,
  root: string,
  pageSize: number,
  toRecord: (node: Gql) => JsonObject,
  byId: { document: string; type: string },
  complete: (client: ShopifyClient, node: Gql, request: ReadRequest) => Promise<Gql> = async (_c, node) => node,
): EntityDeclaration<ShopifyClient> {
  const whole = async (client: ShopifyClient, nodes: Gql[], request: ReadRequest) => {
    const out: JsonObject[] = [];
    for (const node of nodes) out.push(toRecord(await complete(client, node, request)));
    return out;
  };
  return {
    description,
    key: (record) => String(record.id),
    updatedAt: (record) => record.updated_at as string | undefined,
    orderedByUpdatedAt: true,
    async *read(client, request): AsyncIterable<ReadPage> {
      for await (const nodes of pages(client, request, document, root, { first: pageSize, query: sinceQuery(request.since) })) yield { records: await whole(client, nodes, request) };
    },
    async get(client, ids) {
      const out: JsonObject[] = [];
      for (let i = 0; i < ids.length; i += pageSize) {
        const data = await client.graphql<{ nodes: (Gql | null)[] }>(byId.document, { ids: ids.slice(i, i + pageSize).map((id) => gid(byId.type, id)) });
        out.push(...(await whole(client, data.nodes.filter((n): n is Gql => n !== null && Object.keys(n).length > 0), {})));
      }
      return out;
    },
  };
}

/**
 * An order whose lines, transactions or refunds overflowed the page's nested sizes is read again in
 * parts until it is whole: nothing of an order is dropped for being long.
 */
async function completeOrder(client: ShopifyClient, order: Gql, request: ReadRequest): Promise<Gql> {
  const ask = <T>(document: string, variables: Gql) => retried(request, () => client.graphql<T>(document, variables));
  const lines = order.lineItems as Page | undefined;
  if (lines?.pageInfo.hasNextPage) {
    const all = [...lines.nodes];
    for (let after = lines.pageInfo.endCursor, more = true; more; ) {
      const page = (await ask<{ order: { lineItems: Page } }>(doc.ORDER_LINES, { id: order.id, after })).order.lineItems;
      all.push(...page.nodes);
      ({ hasNextPage: more, endCursor: after } = page.pageInfo);
    }
    order.lineItems = { nodes: all, pageInfo: { hasNextPage: false, endCursor: null } };
  }
  // Whether a list was cut short is told by the order itself: its count of transactions, and the money
  // it says was refunded against what the refunds in hand add up to.
  const refunds = (order.refunds as Gql[] | undefined) ?? [];
  const refunded = (bag: unknown) => records.cents((bag as { shopMoney: { amount: string } } | null)?.shopMoney.amount);
  const moreRefunds = refunds.length >= doc.LIMITS.refunds && refunds.reduce((sum, r) => sum + refunded(r.totalRefundedSet), 0) !== refunded(order.totalRefundedSet);
  const moreTransactions = (order.transactions as Gql[]).length < (order.transactionsCount as { count: number }).count;
  const truncated = moreTransactions || moreRefunds || refunds.some((r) => (r.refundLineItems as Page).pageInfo.hasNextPage);
  if (!truncated) return order;
  const money = (await ask<{ order: { transactions: Gql[]; refunds: { id: string }[] } }>(doc.ORDER_MONEY, { id: order.id })).order;
  order.transactions = money.transactions;
  const known = new Map(refunds.filter((r) => !(r.refundLineItems as Page).pageInfo.hasNextPage).map((r) => [r.id as string, r]));
  order.refunds = [];
  for (const { id } of money.refunds) (order.refunds as Gql[]).push(known.get(id) ?? (await ask<{ refund: Gql }>(doc.REFUND, { id })).refund);
  return order;
}

/**
 * Orders changed since the cursor, whole: by pages, or by one bulk operation when there are more than
 * `bulk_threshold` of them (a first sync, `--full`, a day of orders), because an order page costs about
 * 25 points an order where a bulk operation costs a few points in all.
 */
async function* readOrders(client: ShopifyClient, request: ReadRequest): AsyncIterable<Gql[]> {
  const query = sinceQuery(request.since);
  const { count } = (await retried(request, () => client.graphql<{ ordersCount: { count: number } }>(doc.ORDERS_COUNT, { query }))).ordersCount;
  if (count > client.bulkThreshold) {
    yield await bulkOrders(client, request, query ?? 'updated_at:>=1970-01-01');
    return;
  }
  for await (const nodes of pages(client, request, doc.ORDERS, 'orders', { first: doc.ORDERS_PAGE, query })) {
    const whole: Gql[] = [];
    for (const node of nodes) whole.push(await completeOrder(client, node, request));
    yield whole;
  }
}

/**
 * One read of orders, shared by the connection's order flows: its pages as they arrive, and how it ended
 * (`end.error` when it failed). It reads on its own, whatever its readers do with each page, so no flow
 * waits for another to finish writing before it gets its orders.
 */
interface SharedRead {
  takenAt: number;
  since: number | undefined;
  pages: Gql[][];
  end?: { error?: unknown };
  /** Resolves when a page arrives or the read ends. */
  news: Promise<void>;
}
const sharedReads = new WeakMap<ShopifyClient, SharedRead>();

function startRead(client: ShopifyClient, request: ReadRequest, since: number | undefined): SharedRead {
  let tell = () => {};
  const listen = () => new Promise<void>((resolve) => (tell = resolve));
  const read: SharedRead = { takenAt: Date.now(), since, pages: [], news: listen() };
  const told = () => {
    const before = tell;
    read.news = listen();
    before();
  };
  void (async () => {
    try {
      for await (const page of readOrders(client, request)) {
        read.pages.push(page);
        told();
      }
      read.end = {};
    } catch (error) {
      read.end = { error };
    }
    told();
  })();
  return read;
}

/**
 * Five shipped flows read the same orders (invoices, receipts, payments, two kinds of refunds), and an
 * order costs Shopify about 25 points each time. A read that starts within `read_cache_seconds` (60) of
 * another one, from a cursor at or after that one's, takes that one's pages, as they arrive: flows
 * scheduled together share one read instead of each draining the cost bucket. That is safe with
 * cursors: whatever changed after the read began has a later updated_at than anything in it, so the
 * flow's next read, from its cursor, asks Shopify for it. A read that failed is shared by no later one.
 */
async function* orderNodes(client: ShopifyClient, request: ReadRequest): AsyncIterable<Gql[]> {
  const since = request.since?.getTime();
  const shared = sharedReads.get(client);
  const usable = shared && !shared.end?.error && Date.now() - shared.takenAt < client.readCacheMs && (shared.since === undefined || (since !== undefined && since >= shared.since));
  const read = usable ? shared : startRead(client, request, since);
  if (!usable) sharedReads.set(client, read);
  for (let i = 0; ; i++) {
    while (i >= read.pages.length && !read.end) await read.news;
    if (i < read.pages.length) {
      yield read.pages[i]!.filter((n) => since === undefined || Date.parse(String(n.updatedAt)) >= since);
      continue;
    }
    if (read.end?.error) throw read.end.error;
    return;
  }
}

/**
 * One bulk operation (https://shopify.dev/docs/api/usage/bulk-operations/queries): started, polled until
 * it is done, its JSONL fetched and put back together. Shopify runs five at a time per app and shop;
 * one past that (LIMIT_REACHED) waits and tries again.
 */
async function bulkOrders(client: ShopifyClient, request: ReadRequest, query: string): Promise<Gql[]> {
  const run = async () => {
    const { bulkOperationRunQuery: started } = await client.graphql<{ bulkOperationRunQuery: { bulkOperation: { id: string } | null; userErrors: { message: string; code: string }[] } }>(doc.BULK_RUN, { query: doc.BULK_ORDERS(query) });
    const refused = started.userErrors[0];
    if (refused?.code === 'LIMIT_REACHED' || refused?.code === 'OPERATION_IN_PROGRESS') throw new TransientError(`Shopify: ${refused.message}`, { retryAfterMs: 10_000 });
    if (refused || !started.bulkOperation) throw new PermanentError(`Shopify refused the bulk query: ${refused?.message ?? 'no operation'}`);
    return started.bulkOperation.id;
  };
  const id = await retried(request, run);
  // A small operation is done in a moment, a large one in minutes: polled soon, then every second.
  for (let poll = 0; ; poll++) {
    const { bulkOperation: operation } = await retried(request, () => client.graphql<{ bulkOperation: { status: string; errorCode: string | null; url: string | null } }>(doc.BULK_STATUS, { id }));
    if (operation.status === 'COMPLETED') return operation.url ? records.assembleBulk(await retried(request, () => client.download(operation.url!))) : [];
    if (['FAILED', 'CANCELED', 'EXPIRED'].includes(operation.status)) throw new TransientError(`Shopify's bulk operation ${id} ended ${operation.status}${operation.errorCode ? ` (${operation.errorCode})` : ''}; the next read starts again`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(BULK_POLL_MS, 100 * 2 ** poll)));
  }
}

export function ordersEntity(): EntityDeclaration<ShopifyClient> {
  return {
    description: 'orders of every status, with their lines, shipping, taxes, payment terms and refunds',
    documentDate: 'created_at',
    key: (record) => String(record.id),
    updatedAt: (record) => record.updated_at as string | undefined,
    orderedByUpdatedAt: true,
    async *read(client, request) {
      for await (const nodes of orderNodes(client, request)) yield { records: nodes.map(records.order) };
    },
    async get(client, ids) {
      const out: JsonObject[] = [];
      for (const id of ids) {
        const data = await client.graphql<{ orders: Page }>(doc.ORDERS, { first: 1, query: `id:${id}` });
        for (const node of data.orders.nodes) out.push(records.order(await completeOrder(client, node, {})));
      }
      return out;
    },
  };
}

/** The order fields a record that belongs to an order carries with it, for mappings and lookups. */
function orderSummary(order: JsonObject): JsonObject {
  const customer = order.customer as JsonObject | null;
  return { id: order.id, name: order.name, payment_terms: order.payment_terms, financial_status: order.financial_status, currency: order.currency, total_price: order.total_price, customer_id: customer?.id ?? null, email: order.email, updated_at: order.updated_at };
}

/**
 * An order's refunds with `number_in_order`: 1 for its first refund, 2 for the next. Shopify sends no
 * such number, but refunds are never deleted, so an order's list in creation order gives each a stable
 * one, and a document number built from it stays short (`#1001-C2`) where a refund id has 18 digits.
 */
function numbered(refunds: JsonObject[]): JsonObject[] {
  const created = [...refunds].sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) || String(a.id).padStart(20, '0').localeCompare(String(b.id).padStart(20, '0')));
  return created.map((refund, i) => ({ ...refund, number_in_order: i + 1 }));
}

/**
 * Records that live inside orders (refunds) or beside them (transactions): read with the orders that
 * changed, so the order's `updated_at` is their cursor.
 */
export function orderChildEntity(kind: 'refunds' | 'transactions', description: string): EntityDeclaration<ShopifyClient> {
  return {
    description,
    documentDate: 'processed_at',
    key: (record) => String(record.id),
    updatedAt: (record) => (record.order as JsonObject | undefined)?.updated_at as string | undefined,
    orderedByUpdatedAt: true,
    async *read(client, request): AsyncIterable<ReadPage> {
      for await (const nodes of orderNodes(client, request)) {
        const out: JsonObject[] = [];
        for (const node of nodes) {
          const order = records.order(node);
          const summary = orderSummary(order);
          // Money that arrived: captures and sales that succeeded. Refund transactions travel with their refunds.
          const children = kind === 'refunds' ? numbered(order.refunds as JsonObject[]) : records.orderTransactions(node).filter((t) => (t.kind === 'capture' || t.kind === 'sale') && t.status === 'success');
          out.push(...children.map((child) => ({ ...child, order: summary })));
        }
        yield { records: out };
      }
    },
  };
}

export const customersEntity = () =>
  pagedEntity('customers: read by update time; written with a ferry tag that makes a retried create find the first', doc.CUSTOMERS, 'customers', 100, records.customer, { document: doc.CUSTOMERS_BY_ID, type: 'Customer' });

/** A product with more variants than its page carried gets the rest read by their product id. */
async function allVariants(client: ShopifyClient, product: Gql, request: ReadRequest): Promise<Gql> {
  const variants = product.variants as Page;
  if (!variants.pageInfo.hasNextPage) return product;
  const all: Gql[] = [];
  for await (const nodes of pages(client, request, doc.PRODUCT_VARIANTS, 'productVariants', { query: `product_id:${String(product.legacyResourceId)}` })) all.push(...nodes);
  return { ...product, variants: { nodes: all, pageInfo: { hasNextPage: false, endCursor: null } } };
}

export const productsEntity = () => pagedEntity('products with their variants and SKUs', doc.PRODUCTS, 'products', 20, records.product, { document: doc.PRODUCTS_BY_ID, type: 'Product' }, allVariants);

/**
 * Inventory levels, written by SKU: `{ sku, available }` sets what is available at the shop's first
 * location (`inventorySetQuantities`). SKUs are resolved through the variant catalog, read once per client
 * and read again after a failure.
 */
export function inventoryLevelsEntity(): EntityDeclaration<ShopifyClient> {
  const catalogs = new WeakMap<ShopifyClient, Promise<{ skus: Map<string, string>; location: string }>>();
  const catalog = (client: ShopifyClient, request?: WriteRequest) => {
    let found = catalogs.get(client);
    if (!found) {
      found = (async () => {
        const skus = new Map<string, string>();
        let location: string | undefined;
        for await (const nodes of pages(client, { retry: request?.retry }, doc.CATALOG, 'productVariants', {})) {
          for (const v of nodes) if (v.sku) skus.set(String(v.sku), (v.inventoryItem as { id: string }).id);
        }
        const data = await retried(request, () => client.graphql<{ locations: { nodes: { id: string }[] } }>(doc.LOCATIONS, {}));
        location = data.locations.nodes[0]?.id;
        if (!location) throw new PermanentError('the shop has no location to hold inventory');
        return { skus, location };
      })();
      // A catalog that could not be read is read again by the next write, not remembered as a failure.
      found.catch(() => catalogs.delete(client));
      catalogs.set(client, found);
    }
    return found;
  };
  return {
    description: 'inventory available per SKU at the first location',
    key: (record) => String(record.inventory_item_id),
    matchFields: ['sku'],
    batchSize: 1,
    concurrency: 2,
    schema: { type: 'object', required: ['sku', 'available'], properties: { sku: { type: 'string', minLength: 1 }, available: { type: 'integer' } } },
    fields: ['sku', 'available'],
    async write(client, items, request): Promise<WriteResult[]> {
      const { skus, location } = await catalog(client, request);
      const results: WriteResult[] = [];
      for (const item of items) {
        const inventoryItem = skus.get(String(item.payload.sku));
        if (inventoryItem === undefined) {
          results.push({ ok: false, error: new PermanentError(`no Shopify variant has SKU ${String(item.payload.sku)}`, { field: 'sku' }) });
          continue;
        }
        try {
          // Ferry's source is the master of the quantity, so no compare-and-set (changeFromQuantity: null);
          // one idempotency key for every attempt of this write.
          const key = item.idempotencyKey ?? randomUUID();
          const input = { name: 'available', reason: 'correction', quantities: [{ inventoryItemId: inventoryItem, locationId: location, quantity: Number(item.payload.available), changeFromQuantity: null }] };
          const { inventorySetQuantities: answer } = await retried(request, () => client.graphql<{ inventorySetQuantities: { userErrors: { field: string[] | null; message: string }[] } }>(doc.SET_QUANTITIES(key), { input }));
          if (answer.userErrors.length) throw userError(answer.userErrors);
          results.push({ ok: true, targetId: `${records.idOf(inventoryItem)}:${records.idOf(location)}`, action: 'updated' });
        } catch (error) {
          results.push({ ok: false, error: toFerryError(error) });
        }
      }
      return results;
    },
  };
}

/** A mutation's user errors: what Shopify refused, by field. */
function userError(errors: { field: string[] | null; message: string }[]): PermanentError {
  const field = errors[0]!.field?.at(-1);
  return new PermanentError(errors.map((e) => (e.field ? `${e.field.at(-1)}: ${e.message}` : e.message)).join('; '), { field });
}

/**
 * Customers Ferry writes (from a CRM, say). Shopify offers no idempotency key for customers, so each
 * customer Ferry creates carries a stable tag, `ferry-<hash of the source record id>`, and a customer
 * without a known id is looked up by that tag (then by the flow's match, `email`) before one is created:
 * a retry after a lost answer updates the first customer instead of making a second.
 */
export function customerWriter(): Pick<EntityDeclaration<ShopifyClient>, 'write' | 'matchFields' | 'batchSize' | 'concurrency' | 'find' | 'schema' | 'fields'> {
  const tagOf = (item: WriteItem) => `ferry-${createHash('sha1').update(item.sourceId).digest('hex').slice(0, 16)}`;
  // Look-ups are repeated on their own when busy; a create is not (Shopify cannot de-duplicate one): the writer looks again first.
  const search = async (client: ShopifyClient, query: string, request?: WriteRequest) =>
    (await retried(request, () => client.graphql<{ customers: { nodes: { id: string; tags: string[] }[] } }>(doc.CUSTOMER_SEARCH, { query }))).customers.nodes[0];
  const existing = async (client: ShopifyClient, item: WriteItem, request?: WriteRequest) =>
    (await search(client, `tag:${tagOf(item)}`, request)) ?? (item.match?.field === 'email' && item.match.value ? await search(client, `email:${String(item.match.value)}`, request) : undefined);
  const input = (payload: JsonObject, tags: string[] | undefined): Gql => ({
    ...(payload.email !== undefined ? { email: payload.email } : {}),
    ...(payload.first_name !== undefined ? { firstName: payload.first_name } : {}),
    ...(payload.last_name !== undefined ? { lastName: payload.last_name } : {}),
    ...(payload.phone !== undefined ? { phone: payload.phone } : {}),
    ...(tags ? { tags } : {}),
  });
  const withTag = (tags: unknown, tag: string) => [...new Set([...(Array.isArray(tags) ? (tags as string[]) : String(tags ?? '').split(',')).map((t) => t.trim()).filter(Boolean), tag])];

  return {
    matchFields: ['email'],
    batchSize: 1,
    concurrency: 2,
    schema: { type: 'object', properties: { email: { type: 'string', format: 'email' }, first_name: { type: 'string' }, last_name: { type: 'string' }, phone: { type: 'string' }, tags: { type: 'string' } }, anyOf: [{ required: ['email'] }, { required: ['phone'] }, { required: ['first_name'] }, { required: ['last_name'] }] },
    // What `input()` sends: anything else would be dropped without a word.
    fields: ['email', 'first_name', 'last_name', 'phone', 'tags'],
    async write(client, items, request): Promise<WriteResult[]> {
      const results: WriteResult[] = [];
      for (const item of items) {
        try {
          const found = item.targetId ? { id: gid('Customer', item.targetId), tags: undefined } : await existing(client, item, request);
          // A known customer keeps the tags it has unless the flow maps tags (the ferry tag was set when it was made).
          const keepTags = found && found.tags === undefined && item.payload.tags === undefined;
          const tags = keepTags ? undefined : withTag(item.payload.tags ?? found?.tags, tagOf(item));
          const mutation = found ? doc.CUSTOMER_UPDATE : doc.CUSTOMER_CREATE;
          const variables = { input: found ? { id: found.id, ...input(item.payload, tags) } : input(item.payload, tags) };
          // The look-up, and the wait for the cost bucket, may have taken a while: the run must still hold its lock when it writes.
          const data = await client.graphql<Record<string, { customer: { legacyResourceId: string } | null; userErrors: { field: string[] | null; message: string }[] }>>(mutation, variables, request?.beforeWrite);
          const answer = data[found ? 'customerUpdate' : 'customerCreate']!;
          if (answer.userErrors.length || !answer.customer) throw userError(answer.userErrors);
          results.push({ ok: true, targetId: String(answer.customer.legacyResourceId), action: found ? 'updated' : 'created' });
        } catch (error) {
          results.push({ ok: false, error: toFerryError(error) });
        }
      }
      return results;
    },
    async find(client, item) {
      if (item.targetId) return item.targetId;
      const found = await existing(client, item);
      return found ? String(records.idOf(found.id)) : undefined;
    },
  };
}
