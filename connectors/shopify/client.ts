/**
 * The Shopify client: GraphQL Admin API through the official `shopify-api-node` SDK's `graphql()`,
 * pointed at the connection's base URL through its public `baseUrl` property (the SDK otherwise always
 * builds https://{shop}.myshopify.com), its own retries off. In front of it: the token (fixed, or bought
 * by client credentials) and the cost budget. The SDK reports only the first error's message of an
 * answer with `errors`; a response hook keeps the whole list (codes, paths) for the classification here.
 */
import axios from 'axios';
import Shopify from 'shopify-api-node';
import type { ConnectionSettings } from '../../src/connector/types.js';
import { AuthError, ConfigError, type FerryError, PermanentError, TransientError } from '../../src/errors.js';
import { ClientCredentials, fixedToken, type TokenSource } from './auth.js';
import { classifyAnswer, retryAfterMs } from '../shared/errors.js';
import { CostBudget, type ThrottleStatus } from './budget.js';

export const API_VERSION = '2026-07';
/** Shopify refuses a single query that asks for more (rate-limits page). */
const MAX_QUERY_COST = 1_000;
const ERRORS = Symbol('graphqlErrors');

interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

interface Answer {
  [ERRORS]?: GraphqlError[];
  [key: string]: unknown;
}

interface GotResponse {
  url?: string;
  body?: { data?: Record<string, unknown> | null; errors?: unknown; extensions?: { cost?: { requestedQueryCost?: number; throttleStatus?: ThrottleStatus } } };
}

export class ShopifyClient {
  readonly sdk: Shopify;
  readonly budget = new CostBudget();
  readonly tokens: TokenSource;
  private readonly costs = new Map<string, number>();
  private readonly timeoutMs: number;
  /** More changed orders than this are read by a bulk operation. */
  readonly bulkThreshold: number;
  /** How long a completed read of orders answers the connection's other order flows. */
  readonly readCacheMs: number;
  requests = 0;
  /** THROTTLED answers met, for the benchmark (the budget is there so that this stays 0). */
  throttled = 0;
  /** Points the answers reported spending (actual cost), for the benchmark. */
  spent = 0;

  constructor(settings: ConnectionSettings) {
    const { shop, access_token: accessToken, client_id: clientId, client_secret: clientSecret } = settings.options as Record<string, string | undefined>;
    if (!shop) throw new ConfigError(`connection '${settings.name}' needs shop`);
    if (!accessToken && !(clientId && clientSecret)) throw new ConfigError(`connection '${settings.name}' needs access_token (a custom app) or client_id and client_secret (a Dev Dashboard app)`);
    this.timeoutMs = Number(settings.options.timeout_ms ?? 60_000);
    this.bulkThreshold = Number(settings.options.bulk_threshold ?? 250);
    this.readCacheMs = Number(settings.options.read_cache_seconds ?? 60) * 1000;
    this.sdk = new Shopify({
      shopName: String(shop),
      accessToken: accessToken ?? 'bought-by-client-credentials',
      apiVersion: String(settings.options.api_version ?? API_VERSION),
      timeout: this.timeoutMs,
      hooks: { afterResponse: [keepErrors as unknown as NonNullable<NonNullable<Shopify.IPublicShopifyConfig['hooks']>['afterResponse']>[number]] },
    });
    const origin = settings.baseUrl && !settings.baseUrl.includes('.myshopify.com') ? new URL(settings.baseUrl) : new URL(`https://${String(shop).replace(/\.myshopify\.com$/, '')}.myshopify.com`);
    if (settings.baseUrl && !settings.baseUrl.includes('.myshopify.com')) (this.sdk as unknown as { baseUrl: object }).baseUrl = { protocol: origin.protocol, hostname: origin.hostname, port: origin.port };
    this.tokens = accessToken ? fixedToken(String(accessToken)) : new ClientCredentials(`${origin.origin}/admin/oauth/access_token`, String(clientId), String(clientSecret), this.timeoutMs);
  }

  /**
   * One GraphQL document, within the cost budget. Errors become Ferry's classes: THROTTLED transient
   * (with the wait the bucket needs), a refused token once bought again, documents Shopify cannot run
   * permanent, with the code and path Shopify gave.
   */
  async graphql<T>(document: string, variables: Record<string, unknown> = {}, beforeSend?: () => void): Promise<T> {
    // A document's cost depends on its page size, not on which page or record it asks for.
    const key = `${document}\n${String(variables.first ?? '')}`;
    const cost = this.costs.get(key) ?? MAX_QUERY_COST;
    const release = await this.budget.take(cost);
    try {
      // Once the bucket has room, right before the request (a run checks it still holds its lock).
      beforeSend?.();
      for (let attempt = 0; ; attempt++) {
        const token = await this.tokens.token();
        (this.sdk as unknown as { baseHeaders: Record<string, string> }).baseHeaders['X-Shopify-Access-Token'] = token;
        this.requests++;
        let data: Answer;
        try {
          data = (await this.sdk.graphql(document, variables)) as Answer;
        } catch (error) {
          const mapped = classifyShopifyError(error);
          // A bought token Shopify no longer takes (revoked, or its day is over) is bought again, once.
          if (mapped instanceof AuthError && mapped.status === 401 && attempt === 0 && this.tokens.refused(token)) continue;
          throw mapped;
        } finally {
          this.budget.update(this.sdk.callGraphqlLimits.max === undefined ? undefined : { maximumAvailable: this.sdk.callGraphqlLimits.max, currentlyAvailable: Number(this.sdk.callGraphqlLimits.remaining), restoreRate: Number(this.sdk.callGraphqlLimits.restoreRate) });
        }
        const { requestedQueryCost: requested, actualQueryCost: actual } = this.sdk.callGraphqlLimits;
        if (typeof requested === 'number') this.costs.set(key, requested);
        if (typeof actual === 'number') this.spent += actual;
        const errors = data?.[ERRORS];
        if (errors?.length) {
          release(); // before the wait for the bucket is worked out, which must not count this query's own share
          throw this.graphqlError(errors, requested ?? cost);
        }
        return data as T;
      }
    } finally {
      release();
    }
  }

  private graphqlError(errors: GraphqlError[], cost: number): FerryError {
    const [first] = errors;
    const code = first!.extensions?.code;
    const where = first!.path ? ` at ${first!.path.join('.')}` : '';
    if (code === 'THROTTLED') {
      this.throttled++;
      return new TransientError('Shopify throttled the query (its cost bucket is empty)', { status: 429, code, retryAfterMs: Math.max(1_000, this.budget.waitFor(cost)) });
    }
    if (code === 'INTERNAL_SERVER_ERROR' || code === 'SERVICE_UNAVAILABLE') return new TransientError(`Shopify: ${first!.message}`, { code });
    if (code === 'ACCESS_DENIED') return new AuthError(`Shopify denied access${where}: ${first!.message} (check the app's scopes)`, { code });
    return new PermanentError(`Shopify refused the query${where}: ${errors.map((e) => e.message).join('; ')}`, { code });
  }

  /** A bulk operation's result file: a signed storage URL, fetched without the Admin API token. */
  async download(url: string): Promise<string> {
    this.requests++;
    try {
      const answer = await axios.get<string>(url, { responseType: 'text', timeout: this.timeoutMs * 5, transformResponse: (body: string) => body });
      return answer.data;
    } catch (error) {
      const status = (error as { response?: { status?: number } }).response?.status;
      if (status === 403 || status === 404) throw new PermanentError(`the bulk operation's file is gone (${status}); the next read starts a new one`, { status });
      throw new TransientError(`the bulk operation's file could not be fetched: ${(error as Error).message}`, { status });
    }
  }
}

/** Runs before the SDK's own check, which would throw away every error but the first message. */
function keepErrors(response: GotResponse): GotResponse {
  const body = response.body;
  if (body && Array.isArray(body.errors) && String(response.url ?? '').endsWith('/graphql.json')) {
    response.body = { data: Object.assign(body.data ?? {}, { [ERRORS]: body.errors }), extensions: body.extensions };
  }
  return response;
}

interface GotError {
  message?: string;
  code?: string;
  response?: { statusCode?: number; headers?: Record<string, string>; body?: { errors?: unknown } };
}

const LOCKED_OUT: Record<number, string> = { 401: 'refused the access token', 402: 'says the store is frozen (unpaid)', 403: 'refused the app (check its scopes)', 423: 'says the store is locked' };

/** Shopify's HTTP answers → Ferry's classes: the shared ladder, with a frozen or locked store needing a person too. */
export function classifyShopifyError(error: unknown): FerryError {
  const e = (error ?? {}) as GotError;
  const status = e.response?.statusCode;
  const errors = e.response?.body?.errors;
  const [field, messages] = errors && typeof errors === 'object' ? (Object.entries(errors as Record<string, unknown>)[0] ?? []) : [];
  const message =
    status === undefined ? (e.message ?? String(error)) : field ? `${field}: ${Array.isArray(messages) ? messages.join(', ') : String(messages)}` : `Shopify answered ${status}${errors ? `: ${String(errors)}` : ''}`;
  return classifyAnswer('Shopify', { status, message, code: e.code, field, retryAfter: e.response?.headers?.['retry-after'] }, [
    (a) => (a.status === 429 ? new TransientError('Shopify rate limit reached', { status: 429, retryAfterMs: retryAfterMs(a.retryAfter) || 2_000 }) : undefined),
    (a) => (a.status !== undefined && LOCKED_OUT[a.status] ? new AuthError(`Shopify ${LOCKED_OUT[a.status]} (${a.status})${typeof errors === 'string' ? `: ${errors}` : ''}`, { status: a.status }) : undefined),
  ]);
}
