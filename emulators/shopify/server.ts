/**
 * The Shopify Admin API emulator: the GraphQL Admin API (graphql/, executed on Shopify's own schema),
 * the REST routes (routes.ts) over one shop (rules.ts, store.ts), a Dev Dashboard app's client-credentials
 * tokens, the REST leaky bucket (40 burst, 2/s) with `X-Shopify-Shop-Api-Call-Limit` and 429 +
 * `Retry-After`, the GraphQL cost bucket, bulk operation files, and signed webhooks.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { LeakyBucketLimiter } from '../core/rate-limit.js';
import { subscribeEndpoint, WebhookSender } from '../core/webhooks.js';
import type { EmulatorRequest, EmulatorResponse, Route, VendorBehaviour } from '../core/server.js';
import { type CostLimits, GraphqlEndpoint, STANDARD_PLAN } from './graphql/endpoint.js';
import type { WritableStore } from './graphql/mutations.js';
import type { Table } from './graphql/views.js';
import type { ShopifyObject } from './objects.js';
import { restRoutes } from './routes.js';
import { ShopifyShop } from './rules.js';
import type { Params } from './store.js';

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

export interface ShopifyWebhook {
  url: string;
  secret: string;
  topics?: string[];
}

export class ShopifyEmulator implements WritableStore {
  /** The shop's objects and the rules that change them, shared by the REST routes and the GraphQL mutations. */
  readonly store: ShopifyShop;
  readonly webhooks: ShopifyWebhook[] = [];
  private readonly limiter: LeakyBucketLimiter;
  private readonly sender = new WebhookSender();
  private readonly graphql: GraphqlEndpoint;
  /** Tokens the client-credentials grant issued, with when each expires. */
  private readonly issuedTokens = new Map<string, number>();
  tokenRequests = 0;

  constructor(private readonly options: ShopifyEmulatorOptions) {
    this.store = new ShopifyShop(options.seed ?? 1, options.shop, (topic, object) => this.emit(topic, object));
    this.limiter = new LeakyBucketLimiter(options.bucketSize ?? 40, options.leakPerSecond ?? 2);
    this.graphql = new GraphqlEndpoint(this, { ...STANDARD_PLAN, ...options.graphqlLimits }, options.bulkRunMs);
  }

  get shop(): { name: string; domain: string } {
    return { name: this.options.shop, domain: `${this.options.shop}.myshopify.com` };
  }

  get scopes(): string[] {
    return this.options.scopes ?? FERRY_SCOPES;
  }

  get levels(): Map<string, ShopifyObject> {
    return this.store.levels;
  }

  get(name: Table, id: number): ShopifyObject | undefined {
    return this.store.get(name, id);
  }

  all(name: Table): ShopifyObject[] {
    return this.store.all(name);
  }

  now(): string {
    return this.store.now();
  }

  createCustomer(input: Params): ShopifyObject {
    return this.store.createCustomer(input);
  }

  updateCustomer(id: string, input: Params): ShopifyObject {
    return this.store.updateCustomer(id, input);
  }

  setLevel(params: Params, mode: 'set' | 'adjust'): ShopifyObject {
    return this.store.setLevel(params, mode);
  }

  snapshot(): unknown {
    return { ...this.store.snapshot(), issuedTokens: [...this.issuedTokens] };
  }

  restore(state: unknown): void {
    const saved = state as ReturnType<ShopifyShop['snapshot']> & { issuedTokens?: [string, number][] };
    this.issuedTokens.clear();
    for (const [token, expires] of saved.issuedTokens ?? []) this.issuedTokens.set(token, expires);
    this.store.restore(saved);
  }

  settled(): Promise<void> {
    return this.sender.settled();
  }

  behaviour(): VendorBehaviour {
    return {
      name: 'shopify',
      routes: restRoutes(this.store)
        .concat(
          { method: 'POST', pattern: '/admin/api/:version/graphql.json', handler: (request: EmulatorRequest) => this.graphql.handle(request.rawBody, Date.now(), `http://${String(request.headers.host)}`) },
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

export function shopifyHmac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

const isGraphql = (request: EmulatorRequest) => request.path.endsWith('/graphql.json');
