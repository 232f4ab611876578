/**
 * Shopify entities: incremental reads by `updated_at_min`, oldest change first, following the `Link`
 * header's `page_info` cursor (the SDK's `nextPageParameters`).
 */
import type Shopify from 'shopify-api-node';
import type { EntityDeclaration, JsonObject, ReadPage } from '../../src/connector/types.js';
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
      let params: Record<string, unknown> | undefined = { ...filters, limit: 250, order: 'updated_at asc', ...(request.since ? { updated_at_min: request.since.toISOString() } : {}) };
      while (params) {
        const query: Record<string, unknown> = params;
        const page = await client.call((sdk) => resource(sdk, name).list(query));
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
