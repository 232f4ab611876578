/**
 * The Shopify Admin REST API emulator (`/admin/api/{version}/...json`): customers, products with
 * variants and inventory items, locations, inventory levels (`set`, `adjust`), orders with line items,
 * taxes, discounts and shipping, transactions, refunds and fulfillments. Cursor pagination through the
 * `Link` header (`page_info`), `updated_at_min` and friends, the leaky-bucket limit (40 burst, 2/s)
 * with `X-Shopify-Shop-Api-Call-Limit` and 429 + `Retry-After`, and signed webhooks.
 * Shapes follow `shopify-api-node`'s declarations; behaviours follow https://shopify.dev/docs/api/admin-rest.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { LeakyBucketLimiter } from '../core/rate-limit.js';
import { seededRandom } from '../core/random.js';
import { subscribeEndpoint, WebhookSender } from '../core/webhooks.js';
import { type EmulatorRequest, type EmulatorResponse, type Route, type VendorBehaviour, VendorError } from '../core/server.js';
import { type CostLimits, GraphqlEndpoint, STANDARD_PLAN } from './graphql/endpoint.js';
import type { WritableStore } from './graphql/mutations.js';
import type { Table } from './graphql/views.js';
import * as build from './objects.js';
import { money, moneySet, type ShopifyObject, toCents } from './objects.js';

export interface ShopifyEmulatorOptions {
  accessToken: string;
  shop: string;
  seed?: number;
  bucketSize?: number;
  leakPerSecond?: number;
  /** The GraphQL cost bucket and single-query limit; the standard plan's by default. */
  graphqlLimits?: Partial<CostLimits>;
  /** A Dev Dashboard app's credentials, for the client-credentials grant. */
  clientId?: string;
  clientSecret?: string;
  tokenTtlSeconds?: number;
  /** How long a bulk operation runs before its file is ready. */
  bulkRunMs?: number;
  /** The access scopes the app was granted (`currentAppInstallation.accessScopes`); every scope Ferry's flows need by default. */
  scopes?: string[];
}

/** The scopes the connector's README asks an app for. */
export const FERRY_SCOPES = ['read_orders', 'read_all_orders', 'read_customers', 'write_customers', 'read_products', 'read_inventory', 'write_inventory', 'read_locations'];

type Params = Record<string, unknown>;

const fail = (status: number, errors: unknown): never => {
  throw new VendorError({ status, body: { errors } });
};

export interface ShopifyWebhook {
  url: string;
  secret: string;
  topics?: string[];
}

export class ShopifyEmulator implements WritableStore {
  private readonly tables = new Map<Table, Map<number, ShopifyObject>>();
  /** Inventory levels by `inventory_item_id:location_id`. */
  readonly levels = new Map<string, ShopifyObject>();
  readonly webhooks: ShopifyWebhook[] = [];
  private readonly limiter: LeakyBucketLimiter;
  private nextId = 1_000_000;
  private nextOrderNumber = 1001;
  private readonly random: () => number;
  private readonly sender = new WebhookSender();
  /** Shopify timestamps have second precision; the clock never runs backwards. */
  private lastTime = 0;
  private readonly graphql: GraphqlEndpoint;
  /** Tokens the client-credentials grant issued, with when each expires. */
  private readonly issuedTokens = new Map<string, number>();
  tokenRequests = 0;

  constructor(private readonly options: ShopifyEmulatorOptions) {
    this.random = seededRandom(options.seed ?? 1);
    this.limiter = new LeakyBucketLimiter(options.bucketSize ?? 40, options.leakPerSecond ?? 2);
    this.add('locations', build.location(this.id(), this.now(), 'Main warehouse'));
    this.graphql = new GraphqlEndpoint(this, { ...STANDARD_PLAN, ...options.graphqlLimits }, options.bulkRunMs);
  }

  get shop(): { name: string; domain: string } {
    return { name: this.options.shop, domain: `${this.options.shop}.myshopify.com` };
  }

  get scopes(): string[] {
    return this.options.scopes ?? FERRY_SCOPES;
  }

  get(name: Table, id: number): ShopifyObject | undefined {
    return this.table(name).get(id);
  }

  private id(): number {
    this.nextId += 1 + Math.floor(this.random() * 7);
    return this.nextId;
  }

  now(): string {
    this.lastTime = Math.max(this.lastTime, Math.floor(Date.now() / 1000));
    return new Date(this.lastTime * 1000).toISOString().replace('.000Z', '-00:00');
  }

  private table(name: Table): Map<number, ShopifyObject> {
    let table = this.tables.get(name);
    if (!table) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  private add(name: Table, object: ShopifyObject): ShopifyObject {
    this.table(name).set(Number(object.id), object);
    return object;
  }

  all(name: Table): ShopifyObject[] {
    return [...this.table(name).values()];
  }

  private find(name: Table, id: unknown): ShopifyObject {
    return this.table(name).get(Number(id)) ?? fail(404, 'Not Found');
  }

  snapshot(): unknown {
    return {
      tables: [...this.tables].map(([name, table]) => [name, [...table.values()]]),
      levels: [...this.levels],
      nextId: this.nextId,
      nextOrderNumber: this.nextOrderNumber,
      lastTime: this.lastTime,
      issuedTokens: [...this.issuedTokens],
    };
  }

  restore(state: unknown): void {
    const saved = state as { tables: [Table, ShopifyObject[]][]; levels: [string, ShopifyObject][]; nextId: number; nextOrderNumber: number; lastTime: number; issuedTokens?: [string, number][] };
    this.issuedTokens.clear();
    for (const [token, expires] of saved.issuedTokens ?? []) this.issuedTokens.set(token, expires);
    this.tables.clear();
    for (const [name, objects] of saved.tables) for (const object of objects) this.add(name, object);
    this.levels.clear();
    for (const [key, level] of saved.levels) this.levels.set(key, level);
    Object.assign(this, { nextId: saved.nextId, nextOrderNumber: saved.nextOrderNumber, lastTime: saved.lastTime });
  }

  settled(): Promise<void> {
    return this.sender.settled();
  }

  behaviour(): VendorBehaviour {
    const v = '/admin/api/:version';
    const r = (method: string, pattern: string, handler: (p: Params, q: EmulatorRequest) => EmulatorResponse): Route => ({
      method,
      pattern: `${v}${pattern}`,
      handler: (request) => handler(this.params(request), request),
    });
    const ok = (body: unknown, status = 200): EmulatorResponse => ({ status, body });
    return {
      name: 'shopify',
      routes: [
        r('GET', '/shop.json', () => ok({ shop: { id: 1, name: this.options.shop, domain: `${this.options.shop}.myshopify.com`, myshopify_domain: `${this.options.shop}.myshopify.com`, currency: 'USD', iana_timezone: 'America/Chicago' } })),
        r('GET', '/customers.json', (p, q) => this.list('customers', 'customers', p, q)),
        r('GET', '/customers/count.json', (p) => ok({ count: this.filtered('customers', p).length })),
        r('GET', '/customers/search.json', (p) => ok({ customers: this.searchCustomers(String(p.query ?? '')) })),
        r('GET', '/customers/:id.json', (_, q) => ok({ customer: this.find('customers', q.params.id) })),
        r('POST', '/customers.json', (p) => ok({ customer: this.createCustomer(this.body(p, 'customer')) }, 201)),
        r('PUT', '/customers/:id.json', (p, q) => ok({ customer: this.updateCustomer(q.params.id!, this.body(p, 'customer')) })),
        r('GET', '/products.json', (p, q) => this.list('products', 'products', p, q)),
        r('GET', '/products/:id.json', (_, q) => ok({ product: this.find('products', q.params.id) })),
        r('POST', '/products.json', (p) => ok({ product: this.createProduct(this.body(p, 'product')) }, 201)),
        r('PUT', '/products/:id.json', (p, q) => ok({ product: this.updateProduct(q.params.id!, this.body(p, 'product')) })),
        r('GET', '/inventory_items.json', (p) => ok({ inventory_items: this.idsParam(p).map((id) => this.find('inventory_items', id)) })),
        r('GET', '/inventory_items/:id.json', (_, q) => ok({ inventory_item: this.find('inventory_items', q.params.id) })),
        r('GET', '/locations.json', () => ok({ locations: this.all('locations') })),
        r('GET', '/inventory_levels.json', (p, q) => this.listLevels(p, q)),
        r('POST', '/inventory_levels/set.json', (p) => ok({ inventory_level: this.setLevel(p, 'set') })),
        r('POST', '/inventory_levels/adjust.json', (p) => ok({ inventory_level: this.setLevel(p, 'adjust') })),
        r('GET', '/orders.json', (p, q) => this.list('orders', 'orders', p, q)),
        r('GET', '/orders/count.json', (p) => ok({ count: this.filtered('orders', p).length })),
        r('GET', '/orders/:id.json', (_, q) => ok({ order: this.find('orders', q.params.id) })),
        r('POST', '/orders.json', (p) => ok({ order: this.createOrder(this.body(p, 'order')) }, 201)),
        r('PUT', '/orders/:id.json', (p, q) => ok({ order: this.updateOrder(q.params.id!, this.body(p, 'order')) })),
        r('GET', '/orders/:id/transactions.json', (_, q) => ok({ transactions: this.find('orders', q.params.id).__transactions })),
        r('POST', '/orders/:id/transactions.json', (p, q) => ok({ transaction: this.createTransaction(this.find('orders', q.params.id), this.body(p, 'transaction')) }, 201)),
        r('GET', '/orders/:id/refunds.json', (_, q) => ok({ refunds: this.find('orders', q.params.id).refunds })),
        r('POST', '/orders/:id/refunds.json', (p, q) => ok({ refund: this.createRefund(this.find('orders', q.params.id), this.body(p, 'refund')) }, 201)),
        r('GET', '/orders/:id/fulfillments.json', (_, q) => ok({ fulfillments: (this.find('orders', q.params.id).fulfillments as ShopifyObject[]).map(build.standaloneFulfillment) })),
        r('POST', '/orders/:id/fulfillments.json', (p, q) => ok({ fulfillment: this.createFulfillment(this.find('orders', q.params.id), this.body(p, 'fulfillment')) }, 201)),
      ]
        .map((route) => ({ ...route, handler: (request: EmulatorRequest) => this.strip(route.handler(request)) }))
        .concat(
          { method: 'POST', pattern: `${v}/graphql.json`, handler: (request: EmulatorRequest) => this.graphql.handle(request.rawBody, Date.now(), `http://${String(request.headers.host)}`) },
          { method: 'GET', pattern: '/__bulk/:file', handler: (request: EmulatorRequest) => this.bulkFile(request.params.file!) },
          { method: 'POST', pattern: '/admin/oauth/access_token', handler: (request: EmulatorRequest) => this.clientCredentials(request) },
        ) as Route[],
      authenticate: (request) => {
        // Bulk results sit at a signed storage URL and tokens come from the OAuth endpoint: neither takes a token.
        if (request.path.startsWith('/__bulk/') || request.path === '/admin/oauth/access_token') return undefined;
        const token = String(request.headers['x-shopify-access-token'] ?? '');
        if (token === this.options.accessToken || (this.issuedTokens.get(token) ?? 0) > Date.now()) return undefined;
        return { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } };
      },
      rateLimit: (request, now) => {
        // GraphQL has its own bucket, of query cost, kept by its endpoint.
        if (isGraphql(request)) return undefined;
        const verdict = this.limiter.take(now);
        return verdict.allowed ? undefined : this.throttled(Math.max(1, verdict.retryAfterMs / 1000));
      },
      faultResponse: (fault, request) => {
        if (fault !== 'rate-limited') return { status: 500, body: { errors: 'Internal Server Error' } };
        // A throttled GraphQL request is answered 200 with a THROTTLED error and the bucket's state.
        if (request && isGraphql(request)) return { status: 200, body: { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }], extensions: { cost: { requestedQueryCost: null, actualQueryCost: null, throttleStatus: this.graphql.throttleStatus(Date.now()) } } } };
        return this.throttled(2);
      },
      decorate: (_request, response, now) => {
        response.headers = { 'x-shopify-shop-api-call-limit': `${this.limiter.used(now)}/${this.limiter.size}`, 'x-request-id': randomUUID(), ...response.headers };
      },
      notFound: () => ({ status: 404, body: { errors: 'Not Found' } }),
      admin: {
        webhooks: subscribeEndpoint(this.webhooks),
        cost: () => ({ status: 200, body: { spent: this.graphql.spent, ...this.graphql.limits } }),
      },
    };
  }

  /**
   * The client-credentials grant of a Dev Dashboard app (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant):
   * the app's id and secret buy an Admin API token that expires (24 hours; `tokenTtlSeconds` for tests).
   */
  private clientCredentials(request: EmulatorRequest): EmulatorResponse {
    const type = String(request.headers['content-type'] ?? '');
    const text = request.rawBody.toString('utf8');
    const form = type.includes('json') ? (JSON.parse(text || '{}') as Record<string, string>) : Object.fromEntries(new URLSearchParams(text));
    if (form.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' } };
    if (!this.options.clientId || form.client_id !== this.options.clientId || form.client_secret !== this.options.clientSecret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } };
    }
    this.tokenRequests++;
    const ttl = this.options.tokenTtlSeconds ?? 86_399;
    const token = `shpat_${randomUUID().replace(/-/g, '')}`;
    this.issuedTokens.set(token, Date.now() + ttl * 1000);
    return { status: 200, body: { access_token: token, scope: 'read_orders,read_customers,write_customers,read_products,read_inventory,write_inventory', expires_in: ttl } };
  }

  private bulkFile(file: string): EmulatorResponse {
    const text = this.graphql.bulk.file(file.replace(/\.jsonl$/, ''));
    return text === undefined ? { status: 404, body: { errors: 'Not Found' } } : { status: 200, headers: { 'content-type': 'application/jsonl' }, raw: text };
  }

  /** 429 with Retry-After in seconds (https://shopify.dev/docs/api/usage/rate-limits). */
  private throttled(seconds: number): EmulatorResponse {
    return { status: 429, headers: { 'retry-after': seconds.toFixed(1) }, body: { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' } };
  }

  /** Internal bookkeeping fields start with `__` and never leave the emulator. */
  private strip(response: EmulatorResponse | Promise<EmulatorResponse>): EmulatorResponse {
    const r = response as EmulatorResponse;
    if (r.body !== undefined) r.body = JSON.parse(JSON.stringify(r.body, (key, value: unknown) => (key.startsWith('__') ? undefined : value)));
    return r;
  }

  private params(request: EmulatorRequest): Params {
    if (request.method === 'GET') return Object.fromEntries(request.query);
    try {
      return (JSON.parse(request.rawBody.toString('utf8') || '{}') as Params) ?? {};
    } catch {
      return fail(400, 'Invalid JSON in request body');
    }
  }

  private body(params: Params, root: string): Params {
    const body = params[root];
    if (!body || typeof body !== 'object') fail(400, { [root]: 'Required parameter missing or invalid' });
    return body as Params;
  }

  private idsParam(params: Params): number[] {
    return String(params.ids ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number);
  }

  private filtered(name: Table, params: Params): ShopifyObject[] {
    const ids = this.idsParam(params);
    const time = (key: string) => (params[key] === undefined ? undefined : Date.parse(String(params[key])));
    const [updatedMin, updatedMax, createdMin, createdMax] = ['updated_at_min', 'updated_at_max', 'created_at_min', 'created_at_max'].map(time);
    const status = String(params.status ?? (name === 'orders' ? 'open' : 'any'));
    return this.all(name).filter((o) => {
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
  private list(name: Table, key: string, params: Params, request: EmulatorRequest): EmulatorResponse {
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
    const rows = this.filtered(name, filters).sort((a, b) => {
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

  private searchCustomers(query: string): ShopifyObject[] {
    const terms = query.split(/\s+/).filter(Boolean);
    return this.all('customers').filter((c) =>
      terms.every((term) => {
        const [field, value] = term.includes(':') ? term.split(':', 2) : [undefined, term];
        const wanted = String(value).toLowerCase();
        // `tag:` matches one of the customer's comma-separated tags (https://shopify.dev/docs/api/admin-rest/latest/resources/customer#get-customers-search).
        const fields = field === 'tag' ? String(c.__tags ?? '').split(',').map((t) => t.trim()) : field ? [c[field]] : [c.email, c.first_name, c.last_name];
        return fields.some((f) => String(f ?? '').toLowerCase() === wanted);
      }),
    );
  }

  createCustomer(input: Params): ShopifyObject {
    invalidEmail(input);
    if (input.email && this.all('customers').some((c) => String(c.email).toLowerCase() === String(input.email).toLowerCase())) fail(422, { email: ['has already been taken'] });
    if (!input.email && !input.phone && !input.first_name && !input.last_name) fail(422, { customer: ['must have a name, phone number or email address'] });
    const customer = this.add('customers', build.customer(this.id(), this.now(), input, this.id()));
    this.emit('customers/create', customer);
    return customer;
  }

  updateCustomer(id: string, input: Params): ShopifyObject {
    const customer = this.find('customers', id);
    invalidEmail(input);
    for (const key of ['email', 'first_name', 'last_name', 'phone', 'note', 'tax_exempt', 'state']) if (key in input) customer[key] = input[key];
    if ('tags' in input) customer.__tags = input.tags;
    customer.updated_at = this.now();
    this.emit('customers/update', customer);
    return customer;
  }

  private createProduct(input: Params): ShopifyObject {
    if (!input.title) fail(422, { title: ["can't be blank"] });
    const productId = this.id();
    const now = this.now();
    const location = this.all('locations')[0]!;
    const variantsInput = (Array.isArray(input.variants) && input.variants.length ? input.variants : [{}]) as Params[];
    const variants = variantsInput.map((v, i) => {
      const item = this.add('inventory_items', build.inventoryItem(this.id(), now, String(v.sku ?? '')));
      const quantity = Number(v.inventory_quantity ?? 0);
      this.levels.set(`${String(item.id)}:${String(location.id)}`, { inventory_item_id: item.id, location_id: location.id, available: quantity, updated_at: now });
      return build.variant(this.id(), productId, i + 1, now, v, Number(item.id), quantity);
    });
    const product = this.add('products', build.product(productId, now, input, variants));
    this.emit('products/create', product);
    return product;
  }

  /** Product fields, and variant prices, SKUs and titles by variant id. Inventory changes through inventory levels. */
  private updateProduct(id: string, input: Params): ShopifyObject {
    const product = this.find('products', id);
    const now = this.now();
    for (const key of ['title', 'body_html', 'vendor', 'product_type', 'tags', 'status']) if (key in input) product[key] = input[key];
    for (const change of (input.variants as Params[] | undefined) ?? []) {
      const variant = (product.variants as ShopifyObject[]).find((v) => v.id === Number(change.id)) ?? fail(422, { variants: [`variant ${String(change.id)} does not belong to the product`] });
      if (change.price !== undefined) variant.price = money(toCents(change.price));
      if (change.sku !== undefined) variant.sku = change.sku;
      if (change.title !== undefined) variant.title = change.title;
      variant.updated_at = now;
    }
    product.updated_at = now;
    this.emit('products/update', product);
    return product;
  }

  private variantByInventoryItem(itemId: number): ShopifyObject | undefined {
    for (const product of this.all('products')) for (const v of product.variants as ShopifyObject[]) if (v.inventory_item_id === itemId) return v;
    return undefined;
  }

  private listLevels(params: Params, _request: EmulatorRequest): EmulatorResponse {
    const items = String(params.inventory_item_ids ?? '').split(',').filter(Boolean).map(Number);
    const locations = String(params.location_ids ?? '').split(',').filter(Boolean).map(Number);
    if (!items.length && !locations.length) fail(422, { base: ['inventory_item_ids or location_ids is required'] });
    const levels = [...this.levels.values()].filter((l) => (!items.length || items.includes(Number(l.inventory_item_id))) && (!locations.length || locations.includes(Number(l.location_id))));
    return { status: 200, body: { inventory_levels: levels } };
  }

  /** `inventory_levels/set.json` and `adjust.json` (https://shopify.dev/docs/api/admin-rest/latest/resources/inventorylevel). */
  setLevel(params: Params, mode: 'set' | 'adjust'): ShopifyObject {
    const itemId = Number(params.inventory_item_id);
    const locationId = Number(params.location_id);
    this.find('inventory_items', itemId);
    this.find('locations', locationId);
    const key = `${itemId}:${locationId}`;
    const level = this.levels.get(key) ?? { inventory_item_id: itemId, location_id: locationId, available: 0 };
    if (mode === 'set') {
      if (!Number.isInteger(Number(params.available))) fail(422, { available: ['must be an integer'] });
      level.available = Number(params.available);
    } else {
      level.available = Number(level.available) + Number(params.available_adjustment ?? 0);
    }
    level.updated_at = this.now();
    this.levels.set(key, level);
    const v = this.variantByInventoryItem(itemId);
    if (v) {
      v.old_inventory_quantity = v.inventory_quantity;
      v.inventory_quantity = [...this.levels.values()].filter((l) => l.inventory_item_id === itemId).reduce((s, l) => s + Number(l.available), 0);
    }
    this.emit('inventory_levels/update', level);
    return level;
  }

  private createOrder(input: Params): ShopifyObject {
    const itemsInput = input.line_items as Params[] | undefined;
    if (!Array.isArray(itemsInput) || !itemsInput.length) fail(422, { line_items: ['must have at least one line item'] });
    const now = this.now();
    const currency = String(input.currency ?? 'USD');
    const id = this.id();
    let customer: ShopifyObject | undefined;
    const customerInput = input.customer as Params | undefined;
    if (customerInput?.id) customer = this.find('customers', customerInput.id);
    else if (customerInput || input.email) {
      const email = String(customerInput?.email ?? input.email ?? '');
      customer = this.all('customers').find((c) => c.email === email) ?? this.createCustomer({ ...customerInput, email });
    }
    const lineItems = itemsInput!.map((li) => {
      const v = li.variant_id ? this.findVariant(Number(li.variant_id)) : undefined;
      const price = toCents(li.price ?? v?.price);
      const quantity = Number(li.quantity ?? 1);
      if (!Number.isInteger(quantity) || quantity < 1) fail(422, { line_items: ['quantity must be greater than 0'] });
      const taxLines = ((li.tax_lines as Params[] | undefined) ?? []).map((t) => ({ title: String(t.title ?? 'Tax'), price: money(toCents(t.price)), rate: Number(t.rate ?? 0), price_set: moneySet(toCents(t.price), currency) }));
      const lineId = this.id();
      return {
        id: lineId,
        admin_graphql_api_id: build.gid('LineItem', lineId),
        variant_id: v ? v.id : null,
        product_id: v ? v.product_id : null,
        title: li.title ?? (v ? this.all('products').find((p) => p.id === v.product_id)?.title : 'Custom item'),
        variant_title: v ? v.title : '',
        name: li.title ?? (v ? `${String(this.all('products').find((p) => p.id === v.product_id)?.title)} - ${String(v.title)}` : 'Custom item'),
        sku: li.sku ?? v?.sku ?? '',
        vendor: 'Ferry Emulator Co.',
        quantity,
        current_quantity: quantity,
        fulfillable_quantity: quantity,
        fulfillment_service: 'manual',
        fulfillment_status: null,
        grams: 0,
        price: money(price),
        price_set: moneySet(price, currency),
        requires_shipping: true,
        taxable: taxLines.length > 0,
        gift_card: false,
        properties: [],
        tax_lines: taxLines,
        discount_allocations: [] as { amount: string; amount_set: unknown; discount_application_index: number }[],
        total_discount: '0.00',
        total_discount_set: moneySet(0, currency),
        __price: price,
      };
    });
    const lineTotal = lineItems.reduce((s, li) => s + li.__price * li.quantity, 0);
    const codes = ((input.discount_codes as Params[] | undefined) ?? []).map((d) => ({ code: String(d.code ?? 'DISCOUNT'), amount: money(toCents(d.amount)), type: String(d.type ?? 'fixed_amount') }));
    const discount = codes.reduce((s, d) => s + toCents(d.amount), 0);
    // Discounts are allocated across lines in proportion to their totals, to the cent.
    let allocated = 0;
    lineItems.forEach((li, i) => {
      const share = i === lineItems.length - 1 ? discount - allocated : Math.round((discount * li.__price * li.quantity) / Math.max(1, lineTotal));
      allocated += share;
      if (share) li.discount_allocations.push({ amount: money(share), amount_set: moneySet(share, currency), discount_application_index: 0 });
      li.total_discount = money(share);
      li.total_discount_set = moneySet(share, currency);
    });
    const shippingLines = ((input.shipping_lines as Params[] | undefined) ?? []).map((s) => ({
      id: this.id(),
      title: s.title ?? 'Standard',
      code: s.code ?? 'STANDARD',
      source: 'shopify',
      price: money(toCents(s.price)),
      price_set: moneySet(toCents(s.price), currency),
      discounted_price: money(toCents(s.price)),
      discounted_price_set: moneySet(toCents(s.price), currency),
      tax_lines: [],
      carrier_identifier: null,
      requested_fulfillment_service_id: null,
    }));
    const shipping = shippingLines.reduce((s, l) => s + toCents(l.price), 0);
    const orderTaxLines = ((input.tax_lines as Params[] | undefined) ?? []).map((t) => ({ title: String(t.title ?? 'Tax'), price: money(toCents(t.price)), rate: Number(t.rate ?? 0) }));
    const lineTaxes = lineItems.flatMap((li) => li.tax_lines.map(({ title, price, rate }) => ({ title, price, rate })));
    const taxLines = orderTaxLines.length ? orderTaxLines : lineTaxes;
    const tax = taxLines.reduce((s, t) => s + toCents(t.price), 0);
    const subtotal = lineTotal - discount;
    const total = subtotal + shipping + tax;
    const financialStatus = String(input.financial_status ?? 'paid');
    const number = this.nextOrderNumber++;
    const address = (input.billing_address as Params | undefined) ?? (customer?.default_address as Params | undefined) ?? {};
    const order: ShopifyObject = {
      id,
      admin_graphql_api_id: build.gid('Order', id),
      app_id: 1354745,
      browser_ip: null,
      buyer_accepts_marketing: false,
      cancel_reason: null,
      cancelled_at: null,
      cart_token: '',
      checkout_token: null,
      client_details: { accept_language: null, browser_height: null, browser_ip: null, browser_width: null, session_hash: null, user_agent: null },
      closed_at: null,
      confirmation_number: `FRY${String(number)}`,
      confirmed: true,
      contact_email: customer?.email ?? input.email ?? null,
      created_at: input.created_at ?? now,
      currency,
      current_subtotal_price: money(subtotal),
      current_subtotal_price_set: moneySet(subtotal, currency),
      current_total_discounts: money(discount),
      current_total_discounts_set: moneySet(discount, currency),
      current_total_duties_set: null,
      current_total_price: money(total),
      current_total_price_set: moneySet(total, currency),
      current_total_tax: money(tax),
      current_total_tax_set: moneySet(tax, currency),
      customer_locale: 'en',
      discount_applications: codes.map((d) => ({ type: 'discount_code', code: d.code, title: d.code, description: d.code, value: d.amount, value_type: 'fixed_amount', allocation_method: 'across', target_selection: 'all', target_type: 'line_item' })),
      discount_codes: codes,
      email: customer?.email ?? input.email ?? '',
      financial_status: financialStatus,
      fulfillment_status: null,
      landing_site: '',
      location_id: null,
      name: `#${number}`,
      note: input.note ?? null,
      note_attributes: (input.note_attributes as unknown[]) ?? [],
      number: number - 1000,
      order_number: number,
      order_status_url: `https://${this.options.shop}.myshopify.com/orders/${id}/authenticate`,
      // An order on terms names no gateway until it is paid; one paid at checkout names the gateway that took it.
      payment_gateway_names: financialStatus === 'pending' ? [] : ['shopify_payments'],
      payment_terms: input.payment_terms ? build.paymentTerms(this.id(), input.payment_terms as Params, total, currency, String(input.created_at ?? now)) : null,
      phone: null,
      presentment_currency: currency,
      processed_at: input.processed_at ?? now,
      referring_site: '',
      source_identifier: null,
      source_name: 'web',
      subtotal_price: money(subtotal),
      subtotal_price_set: moneySet(subtotal, currency),
      tags: input.tags ?? '',
      tax_lines: taxLines,
      taxes_included: false,
      test: true,
      token: randomUUID().replace(/-/g, ''),
      total_discounts: money(discount),
      total_discounts_set: moneySet(discount, currency),
      total_line_items_price: money(lineTotal),
      total_line_items_price_set: moneySet(lineTotal, currency),
      total_outstanding: money(financialStatus === 'paid' ? 0 : total),
      total_price: money(total),
      total_price_set: moneySet(total, currency),
      total_shipping_price_set: moneySet(shipping, currency),
      total_tax: money(tax),
      total_tax_set: moneySet(tax, currency),
      total_tip_received: '0.00',
      total_weight: 0,
      updated_at: input.created_at ?? now,
      user_id: null,
      billing_address: build.orderAddress(build.address(customer ? Number(customer.id) : 0, Number(address.id ?? this.id()), address, String(customer?.first_name ?? ''), String(customer?.last_name ?? ''))),
      shipping_address: null,
      customer: customer ? build.orderCustomer(customer) : undefined,
      line_items: lineItems,
      shipping_lines: shippingLines,
      fulfillments: [],
      refunds: [],
      __transactions: [] as ShopifyObject[],
    };
    order.shipping_address = order.billing_address;
    this.add('orders', order);
    const transactions = order.__transactions as ShopifyObject[];
    if (financialStatus === 'paid') transactions.push(build.transaction(this.id(), id, now, { kind: 'sale', amountCents: total, status: 'success', gateway: 'shopify_payments', parentId: null, currency }));
    if (financialStatus === 'authorized') transactions.push(build.transaction(this.id(), id, now, { kind: 'authorization', amountCents: total, status: 'success', gateway: 'shopify_payments', parentId: null, currency }));
    if (customer) {
      customer.__orders_count = Number(customer.__orders_count) + 1;
      customer.__total_spent = money(toCents(customer.__total_spent) + total);
    }
    this.emit('orders/create', order);
    if (financialStatus === 'paid') this.emit('orders/paid', order);
    return order;
  }

  private findVariant(id: number): ShopifyObject {
    for (const product of this.all('products')) for (const v of product.variants as ShopifyObject[]) if (v.id === id) return v;
    return fail(422, { line_items: [`variant ${id} does not exist`] });
  }

  private updateOrder(id: string, input: Params): ShopifyObject {
    const order = this.find('orders', id);
    for (const key of ['note', 'tags', 'email', 'note_attributes', 'buyer_accepts_marketing']) if (key in input) order[key] = input[key];
    order.updated_at = this.now();
    this.emit('orders/updated', order);
    return order;
  }

  private paid(order: ShopifyObject): number {
    const transactions = order.__transactions as ShopifyObject[];
    const captured = transactions.filter((t) => t.status === 'success' && (t.kind === 'sale' || t.kind === 'capture')).reduce((s, t) => s + toCents(t.amount), 0);
    const refunded = transactions.filter((t) => t.status === 'success' && t.kind === 'refund').reduce((s, t) => s + toCents(t.amount), 0);
    return captured - refunded;
  }

  /** A payment captured later on an order with terms (kind `capture` or `sale`), or a refund transaction. */
  private createTransaction(order: ShopifyObject, input: Params): ShopifyObject {
    const kind = String(input.kind ?? 'capture');
    if (!['capture', 'sale', 'refund', 'void', 'authorization'].includes(kind)) fail(422, { kind: ['is not included in the list'] });
    const amount = toCents(input.amount ?? order.total_outstanding);
    if (amount <= 0) fail(422, { amount: ['must be greater than 0'] });
    const outstanding = toCents(order.total_price) - this.paid(order);
    if ((kind === 'capture' || kind === 'sale') && amount > outstanding) fail(422, { amount: [`cannot be more than the outstanding ${money(outstanding)}`] });
    const now = this.now();
    // Money on an order on terms usually arrives outside Shopify (a bank transfer), recorded with the manual gateway.
    const gateway = String(input.gateway ?? (order.payment_gateway_names as string[])[0] ?? 'manual');
    const transaction = build.transaction(this.id(), Number(order.id), now, { kind, amountCents: amount, status: 'success', gateway, parentId: (input.parent_id as number | undefined) ?? null, currency: String(order.currency) });
    (order.__transactions as ShopifyObject[]).push(transaction);
    if (!(order.payment_gateway_names as string[]).includes(gateway)) (order.payment_gateway_names as string[]).push(gateway);
    this.refreshFinancialStatus(order);
    order.updated_at = now;
    this.emit('order_transactions/create', transaction);
    if (order.financial_status === 'paid' && kind !== 'refund') this.emit('orders/paid', order);
    this.emit('orders/updated', order);
    return transaction;
  }

  private refreshFinancialStatus(order: ShopifyObject): void {
    const total = toCents(order.total_price);
    const transactions = order.__transactions as ShopifyObject[];
    const captured = transactions.filter((t) => t.status === 'success' && (t.kind === 'sale' || t.kind === 'capture')).reduce((s, t) => s + toCents(t.amount), 0);
    const refunded = transactions.filter((t) => t.status === 'success' && t.kind === 'refund').reduce((s, t) => s + toCents(t.amount), 0);
    order.total_outstanding = money(Math.max(0, total - captured));
    if (refunded > 0) order.financial_status = refunded >= captured ? 'refunded' : 'partially_refunded';
    else if (captured >= total) {
      order.financial_status = 'paid';
      for (const schedule of ((order.payment_terms as ShopifyObject | null)?.payment_schedules as ShopifyObject[] | undefined) ?? []) schedule.completed_at ??= this.now();
    }
    else if (captured > 0) order.financial_status = 'partially_paid';
  }

  /** Refunds of lines (with their tax) and shipping, paid back through a refund transaction. */
  private createRefund(order: ShopifyObject, input: Params): ShopifyObject {
    const now = this.now();
    const currency = String(order.currency);
    const lines = order.line_items as ShopifyObject[];
    const refundLines = ((input.refund_line_items as Params[] | undefined) ?? []).map((r) => {
      const line = lines.find((l) => l.id === Number(r.line_item_id)) ?? fail(422, { refund_line_items: [`line item ${String(r.line_item_id)} does not belong to the order`] });
      const quantity = Number(r.quantity ?? 1);
      const already = (order.refunds as ShopifyObject[]).flatMap((x) => x.refund_line_items as ShopifyObject[]).filter((x) => x.line_item_id === line.id).reduce((s, x) => s + Number(x.quantity), 0);
      if (quantity < 1 || quantity + already > Number(line.quantity)) fail(422, { refund_line_items: [`cannot refund more than ${Number(line.quantity) - already} of line item ${String(line.id)}`] });
      const unit = toCents(line.price) - Math.round(toCents(line.total_discount) / Number(line.quantity));
      const subtotal = unit * quantity;
      const taxPerUnit = Math.round(((line.tax_lines as ShopifyObject[]) ?? []).reduce((s, t) => s + toCents(t.price), 0) / Number(line.quantity));
      const tax = taxPerUnit * quantity;
      const restock = String(r.restock_type ?? 'no_restock');
      if (restock === 'return' || restock === 'cancel') {
        const v = line.variant_id ? this.findVariant(Number(line.variant_id)) : undefined;
        const location = this.all('locations')[0]!;
        if (v) this.setLevel({ inventory_item_id: v.inventory_item_id, location_id: location.id, available_adjustment: quantity }, 'adjust');
      }
      // A refund's line item is the order's line as it was, without its current quantity (refunds/create).
      const { __price: _p, current_quantity: _q, ...publicLine } = line;
      // A refund line's subtotal and total_tax are numbers, where the rest of the order has decimal strings (Shopify's refunds/create example).
      return { id: this.id(), line_item_id: line.id, line_item: publicLine, quantity, restock_type: restock, location_id: restock === 'no_restock' ? null : this.all('locations')[0]!.id, subtotal: subtotal / 100, subtotal_set: moneySet(subtotal, currency), total_tax: tax / 100, total_tax_set: moneySet(tax, currency), __total: subtotal + tax };
    });
    const shippingInput = input.shipping as Params | undefined;
    const shippingTotal = (order.shipping_lines as ShopifyObject[]).reduce((s, l) => s + toCents(l.price), 0);
    const shipping = shippingInput?.full_refund ? shippingTotal : toCents(shippingInput?.amount);
    const refundId = this.id();
    // Shipping given back is a refund shipping line (GraphQL's Refund.refundShippingLines), not an order adjustment.
    const { __price: _p, ...shippingLine } = (order.shipping_lines as ShopifyObject[])[0] ?? { title: 'Shipping' };
    const refundShipping = shipping ? [{ id: this.id(), shipping_line: shippingLine, subtotal_amount_set: moneySet(shipping, currency), tax_amount_set: moneySet(0, currency) }] : [];
    const due = refundLines.reduce((s, l) => s + l.__total, 0) + shipping;
    const requested = ((input.transactions as Params[] | undefined) ?? []).reduce((s, t) => s + toCents(t.amount), 0);
    const amount = (input.transactions as unknown[] | undefined)?.length ? requested : due;
    if (amount > this.paid(order)) fail(422, { transactions: [`refund amount ${money(amount)} is more than the ${money(this.paid(order))} paid`] });
    const transactions = amount > 0 ? [build.transaction(this.id(), Number(order.id), now, { kind: 'refund', amountCents: amount, status: 'success', gateway: String((order.__transactions as ShopifyObject[])[0]?.gateway ?? 'manual'), parentId: Number((order.__transactions as ShopifyObject[])[0]?.id ?? null), currency })] : [];
    (order.__transactions as ShopifyObject[]).push(...transactions);
    const refund: ShopifyObject = {
      id: refundId,
      order_id: order.id,
      created_at: now,
      processed_at: now,
      note: input.note ?? null,
      admin_graphql_api_id: build.gid('Refund', refundId),
      // Shopify sends a boolean (its 2026-07 refunds/create example); shopify-api-node's declaration says string.
      restock: refundLines.some((l) => l.restock_type !== 'no_restock'),
      user_id: null,
      order_adjustments: [],
      refund_shipping_lines: refundShipping,
      refund_line_items: refundLines.map(({ __total: _t, ...l }) => l),
      transactions,
    };
    (order.refunds as ShopifyObject[]).push(refund);
    this.refreshFinancialStatus(order);
    const refundedCents = transactions.reduce((s, t) => s + toCents(t.amount), 0);
    order.current_total_price = money(toCents(order.current_total_price) - refundedCents);
    order.current_total_price_set = moneySet(toCents(order.current_total_price), currency);
    order.updated_at = now;
    this.emit('refunds/create', refund);
    this.emit('orders/updated', order);
    return refund;
  }

  private createFulfillment(order: ShopifyObject, input: Params): ShopifyObject {
    const now = this.now();
    const lines = order.line_items as ShopifyObject[];
    const wanted = (input.line_items as Params[] | undefined) ?? lines.map((l) => ({ id: l.id, quantity: l.fulfillable_quantity }));
    const fulfilled = wanted.map((w) => {
      const line = lines.find((l) => l.id === Number(w.id)) ?? fail(422, { line_items: [`line item ${String(w.id)} does not belong to the order`] });
      const quantity = Number(w.quantity ?? line.fulfillable_quantity);
      if (quantity < 1 || quantity > Number(line.fulfillable_quantity)) fail(422, { line_items: [`cannot fulfill ${quantity} of line item ${String(line.id)}`] });
      line.fulfillable_quantity = Number(line.fulfillable_quantity) - quantity;
      line.fulfillment_status = line.fulfillable_quantity === 0 ? 'fulfilled' : 'partial';
      return build.fulfillmentLine(line, quantity);
    });
    const fulfillment: ShopifyObject = {
      id: this.id(),
      order_id: order.id,
      status: 'success',
      created_at: now,
      updated_at: now,
      service: 'manual',
      location_id: input.location_id ?? this.all('locations')[0]!.id,
      shipment_status: null,
      tracking_company: input.tracking_company ?? null,
      tracking_number: input.tracking_number ?? null,
      tracking_numbers: input.tracking_number ? [input.tracking_number] : [],
      tracking_url: input.tracking_url ?? null,
      tracking_urls: input.tracking_url ? [input.tracking_url] : [],
      receipt: { textcase: false, authorization: '' },
      notify_customer: input.notify_customer ?? false,
      variant_inventory_management: 'shopify',
      line_items: fulfilled,
    };
    (order.fulfillments as ShopifyObject[]).push(fulfillment);
    order.fulfillment_status = lines.every((l) => l.fulfillable_quantity === 0) ? 'fulfilled' : 'partial';
    order.updated_at = now;
    this.emit('fulfillments/create', build.standaloneFulfillment(fulfillment));
    this.emit('orders/updated', order);
    return build.standaloneFulfillment(fulfillment);
  }

  /** Shopify's webhook: the object as JSON, `X-Shopify-Hmac-Sha256` = base64 HMAC-SHA256 of the raw body. */
  private emit(topic: string, object: ShopifyObject): void {
    for (const hook of this.webhooks) {
      if (hook.topics && !hook.topics.includes(topic)) continue;
      const body = JSON.stringify(object, (key, value: unknown) => (key.startsWith('__') ? undefined : value));
      this.sender.send(hook.url, {
        'x-shopify-topic': topic,
        'x-shopify-hmac-sha256': shopifyHmac(body, hook.secret),
        'x-shopify-shop-domain': `${this.options.shop}.myshopify.com`,
        'x-shopify-api-version': '2026-07',
        'x-shopify-webhook-id': randomUUID(),
        'x-shopify-event-id': randomUUID(),
        'x-shopify-triggered-at': new Date().toISOString(),
      }, body);
    }
  }
}

/** Shopify refuses an email that is not an address (`{"errors":{"email":["is invalid"]}}`, "Email is invalid" in GraphQL). */
function invalidEmail(input: Params): void {
  if (typeof input.email === 'string' && input.email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email)) fail(422, { email: ['is invalid'] });
}

export function shopifyHmac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

const isGraphql = (request: EmulatorRequest) => request.path.endsWith('/graphql.json');
