/**
 * Shopify entities: incremental reads by `updated_at_min`, oldest change first, following the `Link`
 * header's `page_info` cursor (the SDK's `nextPageParameters`).
 */
import type Shopify from 'shopify-api-node';
import { createHash } from 'node:crypto';
import { type EntityDeclaration, type JsonObject, type ReadPage, type ReadRequest, retried, type WriteItem, type WriteRequest, type WriteResult } from '../../src/connector/types.js';
import { PermanentError, toFerryError } from '../../src/errors.js';
import type { ShopifyClient } from './client.js';

type Listable = { list(params: Record<string, unknown>): Promise<JsonObject[] & { nextPageParameters?: Record<string, unknown> }> };

function resource(sdk: Shopify, name: 'customer' | 'order' | 'product'): Listable {
  return sdk[name] as unknown as Listable;
}

export function listedEntity(name: 'customer' | 'order' | 'product', description: string, filters: Record<string, unknown> = {}): EntityDeclaration<ShopifyClient> {
  return {
    description,
    key: (record) => String(record.id),
    updatedAt: (record) => record.updated_at as string | undefined,
    orderedByUpdatedAt: true,
    async *read(client, request): AsyncIterable<ReadPage> {
      // `gateway` is applied by the order-children entities below, not by Shopify.
      const { gateway: _gateway, ...apiFilters } = request.params ?? {};
      let params: Record<string, unknown> | undefined = { ...filters, ...apiFilters, limit: 250, order: 'updated_at asc', ...(request.since ? { updated_at_min: request.since.toISOString() } : {}) };
      while (params) {
        const query: Record<string, unknown> = params;
        const page = await retried(request, () => client.call((sdk) => resource(sdk, name).list(query)));
        yield { records: [...page] };
        params = page.nextPageParameters;
      }
    },
    async get(client, ids) {
      const records: JsonObject[] = [];
      for (let i = 0; i < ids.length; i += 250) {
        const chunk = ids.slice(i, i + 250);
        records.push(...(await client.call((sdk) => resource(sdk, name).list({ ...filters, ids: chunk.join(','), limit: 250 }))));
      }
      return records;
    },
  };
}

/** The order fields a record that belongs to an order carries with it, for mappings and lookups. */
function orderSummary(order: JsonObject): JsonObject {
  const customer = order.customer as JsonObject | undefined;
  return { id: order.id, name: order.name, gateway: order.gateway, financial_status: order.financial_status, currency: order.currency, total_price: order.total_price, customer_id: customer?.id ?? null, email: order.email, updated_at: order.updated_at };
}

/**
 * Records that live inside orders (refunds, fulfillments) or beside them (transactions): read by
 * reading the orders that changed, so the order's `updated_at` is their cursor.
 */
export function orderChildEntity(kind: 'refunds' | 'fulfillments' | 'transactions', description: string): EntityDeclaration<ShopifyClient> {
  const orders = listedEntity('order', 'orders', { status: 'any' });
  const children = async (client: ShopifyClient, order: JsonObject, request: ReadRequest): Promise<JsonObject[]> => {
    if (kind !== 'transactions') return ((order[kind] as JsonObject[] | undefined) ?? []).map((child) => ({ ...child, order: orderSummary(order) }));
    if (order.financial_status === 'pending') return [];
    const transactions = await retried(request, () => client.call((sdk) => sdk.transaction.list(Number(order.id)) as unknown as Promise<JsonObject[]>));
    // Money that arrived: captures and sales that succeeded. Refund transactions travel with their refunds.
    return transactions.filter((t) => (t.kind === 'capture' || t.kind === 'sale') && t.status === 'success').map((t) => ({ ...t, order: orderSummary(order) }));
  };
  return {
    description,
    key: (record) => String(record.id),
    updatedAt: (record) => (record.order as JsonObject | undefined)?.updated_at as string | undefined,
    orderedByUpdatedAt: true,
    async *read(client, request): AsyncIterable<ReadPage> {
      const gateway = request.params?.gateway;
      for await (const page of orders.read!(client, request)) {
        const records: JsonObject[] = [];
        // `params.gateway` skips orders of other gateways without asking Shopify for their transactions.
        for (const order of page.records) if (gateway === undefined || order.gateway === gateway) records.push(...(await children(client, order, request)));
        yield { records };
      }
    },
  };
}

/**
 * Inventory levels, written by SKU: `{ sku, available }` sets what is available at the shop's primary
 * location (`inventory_levels/set.json`). SKUs are resolved through the product catalog, once per client.
 */
export function inventoryLevelsEntity(): EntityDeclaration<ShopifyClient> {
  const catalogs = new WeakMap<ShopifyClient, Promise<{ skus: Map<string, number>; location: number }>>();
  const catalog = (client: ShopifyClient, request?: WriteRequest) => {
    let found = catalogs.get(client);
    if (!found) {
      found = (async () => {
        const skus = new Map<string, number>();
        for await (const page of listedEntity('product', 'products').read!(client, { retry: request?.retry })) {
          for (const product of page.records) for (const v of product.variants as JsonObject[]) if (v.sku) skus.set(String(v.sku), Number(v.inventory_item_id));
        }
        const [location] = await retried(request, () => client.call((sdk) => sdk.location.list() as unknown as Promise<JsonObject[]>));
        if (!location) throw new PermanentError('the shop has no location to hold inventory');
        return { skus, location: Number(location.id) };
      })();
      // A catalog that could not be read is read again by the next write, not remembered as a failure.
      found.catch(() => catalogs.delete(client));
      catalogs.set(client, found);
    }
    return found;
  };
  return {
    description: 'inventory available per SKU at the primary location',
    key: (record) => String(record.inventory_item_id),
    matchFields: ['sku'],
    batchSize: 1,
    concurrency: 2,
    schema: { type: 'object', required: ['sku', 'available'], properties: { sku: { type: 'string', minLength: 1 }, available: { type: 'integer' } } },
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
          // Setting what is available is the same request however often it is sent.
          await retried(request, () => client.call((sdk) => sdk.inventoryLevel.set({ inventory_item_id: inventoryItem, location_id: location, available: Number(item.payload.available) })));
          results.push({ ok: true, targetId: `${inventoryItem}:${location}`, action: 'updated' });
        } catch (error) {
          results.push({ ok: false, error: toFerryError(error) });
        }
      }
      return results;
    },
  };
}

/**
 * Customers Ferry writes (from a CRM, say). Shopify offers no idempotency key, so each customer Ferry
 * creates carries a stable tag, `ferry-<hash of the source record id>`, and a customer without a known
 * id is looked up by that tag (then by the flow's match, `email`) before one is created: a retry after
 * a lost answer updates the first customer instead of making a second.
 */
export function customerWriter(): Pick<EntityDeclaration<ShopifyClient>, 'write' | 'matchFields' | 'batchSize' | 'concurrency' | 'find' | 'schema'> {
  const tagOf = (item: WriteItem) => `ferry-${createHash('sha1').update(item.sourceId).digest('hex').slice(0, 16)}`;
  // Look-ups are repeated on their own when busy; a create is not (Shopify cannot de-duplicate one): the writer looks again first.
  const search = async (client: ShopifyClient, query: string, request?: WriteRequest) =>
    (await retried(request, () => client.call((sdk) => sdk.customer.search({ query, limit: 1 }) as unknown as Promise<JsonObject[]>)))[0];
  const existing = async (client: ShopifyClient, item: WriteItem, request?: WriteRequest): Promise<JsonObject | undefined> =>
    (await search(client, `tag:${tagOf(item)}`, request)) ?? (item.match?.field === 'email' && item.match.value ? await search(client, `email:${String(item.match.value)}`, request) : undefined);
  const withTag = (tags: unknown, tag: string) => [...new Set([...String(tags ?? '').split(',').map((t) => t.trim()).filter(Boolean), tag])].join(', ');

  return {
    matchFields: ['email'],
    batchSize: 1,
    concurrency: 2,
    schema: { type: 'object', properties: { email: { type: 'string', format: 'email' }, first_name: { type: 'string' }, last_name: { type: 'string' }, phone: { type: 'string' }, tags: { type: 'string' } }, anyOf: [{ required: ['email'] }, { required: ['phone'] }, { required: ['first_name'] }, { required: ['last_name'] }] },
    async write(client, items, request): Promise<WriteResult[]> {
      const results: WriteResult[] = [];
      for (const item of items) {
        try {
          // A known customer keeps the tags it has unless the flow maps tags (the ferry tag was set when it was made).
          const found = item.targetId ? { id: item.targetId } : await existing(client, item, request);
          const keepTags = found && !('tags' in found) && item.payload.tags === undefined;
          const tags = withTag(item.payload.tags ?? found?.tags, tagOf(item));
          if (found) {
            const changes = keepTags ? item.payload : { ...item.payload, tags };
            const updated = (await client.call((sdk) => sdk.customer.update(Number(found.id), changes))) as unknown as JsonObject;
            results.push({ ok: true, targetId: String(updated.id), action: 'updated' });
          } else {
            const created = (await client.call((sdk) => sdk.customer.create({ ...item.payload, tags }))) as unknown as JsonObject;
            results.push({ ok: true, targetId: String(created.id), action: 'created' });
          }
        } catch (error) {
          results.push({ ok: false, error: toFerryError(error) });
        }
      }
      return results;
    },
    async find(client, item) {
      if (item.targetId) return item.targetId;
      const found = await existing(client, item);
      return found ? String(found.id) : undefined;
    },
  };
}
