/**
 * The REST Admin routes (`/admin/api/{version}/...json`) that seed the shop and that older tools still
 * call: customers, products, inventory, locations, orders with their transactions, refunds and
 * fulfillments; cursor pagination through the `Link` header (`page_info`) and `updated_at_min` and
 * friends (https://shopify.dev/docs/api/admin-rest). The business rules are the shop's (rules.ts).
 */
import type { EmulatorRequest, EmulatorResponse, Route } from '../core/server.js';
import type { Table } from './graphql/views.js';
import * as build from './objects.js';
import type { ShopifyObject } from './objects.js';
import type { ShopifyShop } from './rules.js';
import { type Params, fail } from './store.js';

export function restRoutes(shop: ShopifyShop): Route[] {
  const v = '/admin/api/:version';
  const r = (method: string, pattern: string, handler: (p: Params, q: EmulatorRequest) => EmulatorResponse): Route => ({
    method,
    pattern: `${v}${pattern}`,
    handler: (request) => strip(handler(params(request), request)),
  });
  const ok = (body: unknown, status = 200): EmulatorResponse => ({ status, body });
  return [
    r('GET', '/shop.json', () => ok({ shop: { id: 1, name: shop.shopName, domain: `${shop.shopName}.myshopify.com`, myshopify_domain: `${shop.shopName}.myshopify.com`, currency: 'USD', iana_timezone: 'America/Chicago' } })),
    r('GET', '/customers.json', (p, q) => list(shop, 'customers', 'customers', p, q)),
    r('GET', '/customers/count.json', (p) => ok({ count: filtered(shop, 'customers', p).length })),
    r('GET', '/customers/search.json', (p) => ok({ customers: shop.searchCustomers(String(p.query ?? '')) })),
    r('GET', '/customers/:id.json', (_, q) => ok({ customer: shop.find('customers', q.params.id) })),
    r('POST', '/customers.json', (p) => ok({ customer: shop.createCustomer(body(p, 'customer')) }, 201)),
    r('PUT', '/customers/:id.json', (p, q) => ok({ customer: shop.updateCustomer(q.params.id!, body(p, 'customer')) })),
    r('GET', '/products.json', (p, q) => list(shop, 'products', 'products', p, q)),
    r('GET', '/products/:id.json', (_, q) => ok({ product: shop.find('products', q.params.id) })),
    r('POST', '/products.json', (p) => ok({ product: shop.createProduct(body(p, 'product')) }, 201)),
    r('PUT', '/products/:id.json', (p, q) => ok({ product: shop.updateProduct(q.params.id!, body(p, 'product')) })),
    r('GET', '/inventory_items.json', (p) => ok({ inventory_items: idsParam(p).map((id) => shop.find('inventory_items', id)) })),
    r('GET', '/inventory_items/:id.json', (_, q) => ok({ inventory_item: shop.find('inventory_items', q.params.id) })),
    r('GET', '/locations.json', () => ok({ locations: shop.all('locations') })),
    r('GET', '/inventory_levels.json', (p) => listLevels(shop, p)),
    r('POST', '/inventory_levels/set.json', (p) => ok({ inventory_level: shop.setLevel(p, 'set') })),
    r('POST', '/inventory_levels/adjust.json', (p) => ok({ inventory_level: shop.setLevel(p, 'adjust') })),
    r('GET', '/orders.json', (p, q) => list(shop, 'orders', 'orders', p, q)),
    r('GET', '/orders/count.json', (p) => ok({ count: filtered(shop, 'orders', p).length })),
    r('GET', '/orders/:id.json', (_, q) => ok({ order: shop.find('orders', q.params.id) })),
    r('POST', '/orders.json', (p) => ok({ order: shop.createOrder(body(p, 'order')) }, 201)),
    r('PUT', '/orders/:id.json', (p, q) => ok({ order: shop.updateOrder(q.params.id!, body(p, 'order')) })),
    r('GET', '/orders/:id/transactions.json', (_, q) => ok({ transactions: shop.find('orders', q.params.id).__transactions })),
    r('POST', '/orders/:id/transactions.json', (p, q) => ok({ transaction: shop.createTransaction(shop.find('orders', q.params.id), body(p, 'transaction')) }, 201)),
    r('GET', '/orders/:id/refunds.json', (_, q) => ok({ refunds: shop.find('orders', q.params.id).refunds })),
    r('POST', '/orders/:id/refunds.json', (p, q) => ok({ refund: shop.createRefund(shop.find('orders', q.params.id), body(p, 'refund')) }, 201)),
    r('GET', '/orders/:id/fulfillments.json', (_, q) => ok({ fulfillments: (shop.find('orders', q.params.id).fulfillments as ShopifyObject[]).map(build.standaloneFulfillment) })),
    r('POST', '/orders/:id/fulfillments.json', (p, q) => ok({ fulfillment: shop.createFulfillment(shop.find('orders', q.params.id), body(p, 'fulfillment')) }, 201)),
  ];
}

/** Internal bookkeeping fields start with `__` and never leave the emulator. */
function strip(response: EmulatorResponse | Promise<EmulatorResponse>): EmulatorResponse {
  const r = response as EmulatorResponse;
  if (r.body !== undefined) r.body = JSON.parse(JSON.stringify(r.body, (key, value: unknown) => (key.startsWith('__') ? undefined : value)));
  return r;
}

function params(request: EmulatorRequest): Params {
  if (request.method === 'GET') return Object.fromEntries(request.query);
  try {
    return (JSON.parse(request.rawBody.toString('utf8') || '{}') as Params) ?? {};
  } catch {
    return fail(400, 'Invalid JSON in request body');
  }
}

function body(params: Params, root: string): Params {
  const body = params[root];
  if (!body || typeof body !== 'object') fail(400, { [root]: 'Required parameter missing or invalid' });
  return body as Params;
}

function idsParam(params: Params): number[] {
  return String(params.ids ?? '')
    .split(',')
    .filter(Boolean)
    .map(Number);
}

function filtered(shop: ShopifyShop, name: Table, params: Params): ShopifyObject[] {
  const ids = idsParam(params);
  const time = (key: string) => (params[key] === undefined ? undefined : Date.parse(String(params[key])));
  const [updatedMin, updatedMax, createdMin, createdMax] = ['updated_at_min', 'updated_at_max', 'created_at_min', 'created_at_max'].map(time);
  const status = String(params.status ?? (name === 'orders' ? 'open' : 'any'));
  return shop.all(name).filter((o) => {
    if (ids.length && !ids.includes(Number(o.id))) return false;
    if (params.since_id !== undefined && Number(o.id) <= Number(params.since_id)) return false;
    const updated = Date.parse(String(o.updated_at));
    const created = Date.parse(String(o.created_at));
    if (updatedMin !== undefined && updated < updatedMin) return false;
    if (updatedMax !== undefined && updated > updatedMax) return false;
    if (createdMin !== undefined && created < createdMin) return false;
    if (createdMax !== undefined && created > createdMax) return false;
    if (name === 'orders') {
      if (status === 'open' && (o.closed_at || o.cancelled_at)) return false;
      if (status === 'closed' && !o.closed_at) return false;
      if (status === 'cancelled' && !o.cancelled_at) return false;
      if (params.financial_status && params.financial_status !== 'any' && o.financial_status !== params.financial_status) return false;
    }
    return true;
  });
}

/**
 * Cursor pagination (https://shopify.dev/docs/api/usage/pagination-rest): the first request carries the
 * filters; `page_info` then stands for them, and only `limit` and `fields` may travel with it.
 */
function list(shop: ShopifyShop, name: Table, key: string, params: Params, request: EmulatorRequest): EmulatorResponse {
  const limit = params.limit === undefined ? 50 : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 250) fail(400, { limit: 'Limit must be between 1 and 250' });
  let filters = params;
  let after = 0;
  if (params.page_info !== undefined) {
    const extra = Object.keys(params).filter((k) => !['page_info', 'limit', 'fields'].includes(k));
    if (extra.length) fail(400, { page_info: `page_info cannot be combined with ${extra.join(', ')}` });
    try {
      ({ filters, after } = JSON.parse(Buffer.from(String(params.page_info), 'base64url').toString('utf8')) as { filters: Params; after: number });
    } catch {
      fail(400, { page_info: 'Invalid value.' });
    }
  }
  const order = String(filters.order ?? 'id asc');
  const sortKey = order.startsWith('updated_at') ? 'updated_at' : order.startsWith('created_at') ? 'created_at' : 'id';
  const rows = filtered(shop, name, filters).sort((a, b) => {
    const primary = sortKey === 'id' ? 0 : Date.parse(String(a[sortKey])) - Date.parse(String(b[sortKey]));
    return primary || Number(a.id) - Number(b.id);
  });
  const page = rows.slice(after, after + limit);
  const links: string[] = [];
  const base = `http://${String(request.headers.host)}${request.path}`;
  const cursor = (position: number) => Buffer.from(JSON.stringify({ filters: { ...filters, limit: undefined, page_info: undefined }, after: position })).toString('base64url');
  if (after > 0) links.push(`<${base}?limit=${limit}&page_info=${cursor(Math.max(0, after - limit))}>; rel="previous"`);
  if (after + limit < rows.length) links.push(`<${base}?limit=${limit}&page_info=${cursor(after + limit)}>; rel="next"`);
  const fields = filters.fields ?? params.fields;
  const shaped = fields ? page.map((o) => Object.fromEntries(String(fields).split(',').map((f) => [f, o[f]]))) : page;
  return { status: 200, headers: links.length ? { link: links.join(', ') } : {}, body: { [key]: shaped } };
}

function listLevels(shop: ShopifyShop, params: Params): EmulatorResponse {
  const items = String(params.inventory_item_ids ?? '').split(',').filter(Boolean).map(Number);
  const locations = String(params.location_ids ?? '').split(',').filter(Boolean).map(Number);
  if (!items.length && !locations.length) fail(422, { base: ['inventory_item_ids or location_ids is required'] });
  const levels = [...shop.levels.values()].filter((l) => (!items.length || items.includes(Number(l.inventory_item_id))) && (!locations.length || locations.includes(Number(l.location_id))));
  return { status: 200, body: { inventory_levels: levels } };
}
