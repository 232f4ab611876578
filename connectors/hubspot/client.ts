/**
 * The HubSpot client: the official `@hubspot/api-client` pointed at the connection's base URL
 * (`basePath`), with the SDK's retries and limiter left off (they are process-wide: the last Client
 * built would set them for every connection) and Ferry's budget in front: the ten-second rolling limit
 * for the private app's tier, and the search API's separate per-second limit.
 *
 * The budget follows HubSpot's `X-HubSpot-RateLimit-*` headers, read from the SDK's `...WithHttpInfo`
 * answers (its configured middleware is not applied to calls in this SDK version):
 * the account's real limit (95% of it, unless `requests_per_ten_seconds` sets a lower ceiling), and a
 * pause of one window when the window is nearly spent, which only happens when something else (another
 * integration on the same app, another Ferry process) shares the budget.
 *
 * Every request has a deadline (`timeout_ms`, 60 s by default). The SDK sends through node-fetch with no
 * timeout and no AbortSignal; the one thing a call can set is the request's http.Agent (call-time
 * middleware, `setAgent`). So each request gets an agent of its own, and a request the deadline passes is
 * cancelled by destroying that agent, which closes its socket. The cost is a connection per request,
 * which HubSpot's batch endpoints keep to about one per hundred records.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Client } from '@hubspot/api-client';
import type { ConnectionSettings, ConnectorContext } from '../../src/connector/types.js';
import { AuthError, ConfigError, type FerryError, TransientError } from '../../src/errors.js';
import { classifyAnswer } from '../shared/errors.js';
import { RateLimiter, sharedBudget } from '../shared/limiter.js';

/** A public app's OAuth 2 grant: the refresh token in use, and the one the config names. */
interface OAuthGrant {
  clientId: string;
  clientSecret: string;
  /** The config's refresh token; none when `ferry connect` installed the app and saved it. */
  configured?: string;
  /** Undefined until the saved (possibly rotated) token has been looked for. */
  current?: string;
}

export class HubSpotClient {
  readonly sdk: Client;
  private readonly general: RateLimiter;
  private readonly search: RateLimiter;
  requests = 0;

  /** A budget set in the connection's options is a ceiling the headers cannot raise. */
  private readonly ceiling: number;
  private readonly grant?: OAuthGrant;
  private readonly timeoutMs: number;
  private readonly secure: boolean;
  private accessToken?: string;
  private refreshing?: Promise<void>;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly context: ConnectorContext = {},
  ) {
    const { access_token: token, client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken } = settings.options;
    const basePath = settings.baseUrl ?? 'https://api.hubapi.com';
    if (token) {
      this.accessToken = String(token);
      this.sdk = new Client({ accessToken: this.accessToken, basePath });
    } else if (clientId && clientSecret && (refreshToken || settings.options.portal_id)) {
      this.grant = { clientId: String(clientId), clientSecret: String(clientSecret), configured: refreshToken ? String(refreshToken) : undefined };
      this.sdk = new Client({ basePath });
    } else {
      throw new ConfigError(`connection '${settings.name}' needs access_token (a private app), or client_id and client_secret with refresh_token or, after ferry connect, portal_id (a public app, OAuth 2)`);
    }
    this.timeoutMs = Number(settings.options.timeout_ms ?? 60_000);
    this.secure = new URL(basePath).protocol === 'https:';
    this.ceiling = settings.options.requests_per_ten_seconds === undefined ? Infinity : Number(settings.options.requests_per_ten_seconds);
    this.general = new RateLimiter({ limit: Number(settings.options.requests_per_ten_seconds ?? 190), intervalMs: 10_000, concurrency: 5, name: "HubSpot's limit of requests per 10 seconds", shared: sharedBudget(context, 'requests/10s') });
    this.search = new RateLimiter({ limit: Number(settings.options.searches_per_second ?? 5), intervalMs: 1_000, name: "HubSpot's search limit per second", shared: sharedBudget(context, 'searches/second') });
  }

  /** The account's limits as HubSpot's last headers stated them (its plan's), for `ferry check`. */
  limitsSeen?: { max: number; intervalMs: number; daily?: number; dailyRemaining?: number };

  /** `X-HubSpot-RateLimit-Max`, `-Remaining` and `-Interval-Milliseconds`, on every answer but search's. */
  private observe(headers: Record<string, string> | undefined): void {
    const max = Number(headers?.['x-hubspot-ratelimit-max']);
    const remaining = Number(headers?.['x-hubspot-ratelimit-remaining']);
    const intervalMs = Number(headers?.['x-hubspot-ratelimit-interval-milliseconds']);
    if (!(max > 0 && intervalMs > 0 && remaining >= 0)) return;
    const daily = Number(headers?.['x-hubspot-ratelimit-daily']);
    this.limitsSeen = { max, intervalMs, ...(daily > 0 ? { daily, dailyRemaining: Number(headers?.['x-hubspot-ratelimit-daily-remaining']) } : {}) };
    this.general.adapt({ limit: Math.min(this.ceiling, Math.max(1, Math.floor(max * 0.95))), intervalMs });
    if (remaining < Math.floor(max * 0.05)) this.general.pause(intervalMs);
  }

  /**
   * One request through the budget; `task` makes a `...WithHttpInfo` call, and its answer's body is
   * returned. With OAuth, a 401 refreshes the access token once (concurrent 401s share the refresh)
   * and the request is sent again; a second 401 is an AuthError.
   */
  async call<T>(task: (sdk: Client, options: RequestOptions) => Promise<HttpInfo<T>>, kind: 'general' | 'search' = 'general'): Promise<T> {
    if (!this.grant) return this.send(task, kind);
    if (!this.accessToken) await this.refresh();
    const used = this.accessToken;
    try {
      return await this.send(task, kind);
    } catch (error) {
      if (!(error instanceof AuthError && error.status === 401)) throw error;
      if (this.accessToken === used) await this.refresh();
      return this.send(task, kind);
    }
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.exchangeRefreshToken().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * `POST /oauth/v1/token`. A refresh token HubSpot sends back changed is saved before it is used. A
   * saved token HubSpot refuses gives way to the config's (someone reconnected the app); the config's
   * refused too is an AuthError that says how to reconnect.
   */
  private async exchangeRefreshToken(): Promise<void> {
    const grant = this.grant!;
    grant.current ??= (await this.context.loadSecret?.(this.settings.name, 'refresh_token')) ?? grant.configured;
    if (!grant.current) throw new AuthError(`connection '${this.settings.name}' has no refresh token yet: run ferry connect ${this.settings.name}`);
    let answer: { accessToken: string; refreshToken: string };
    try {
      answer = (await this.withDeadline('token refresh', (options) =>
        this.sdk.oauth.tokensApi.createWithHttpInfo('refresh_token', undefined, undefined, grant.clientId, grant.clientSecret, grant.current, options),
      )).data;
    } catch (error) {
      const { code, body } = (error ?? {}) as ApiExceptionLike;
      const refused = code === 400 && typeof body === 'object' && body?.status === 'BAD_REFRESH_TOKEN';
      if (refused && grant.configured && grant.current !== grant.configured) {
        grant.current = grant.configured;
        return this.exchangeRefreshToken();
      }
      if (refused || (code === 400 && typeof body === 'object' && body?.status === 'BAD_CLIENT_ID')) {
        throw new AuthError(`HubSpot refused the OAuth grant of connection '${this.settings.name}' (${typeof body === 'object' ? body?.status : code}): install the app again and set the connection's refresh_token (and client_id, client_secret) to the new ones`, { status: code });
      }
      throw classifyHubSpotError(error);
    }
    if (answer.refreshToken && answer.refreshToken !== grant.current) {
      await this.context.saveSecret?.(this.settings.name, 'refresh_token', answer.refreshToken);
      grant.current = answer.refreshToken;
    }
    this.accessToken = answer.accessToken;
    this.sdk.setAccessToken(answer.accessToken);
  }

  private send<T>(task: (sdk: Client, options: RequestOptions) => Promise<HttpInfo<T>>, kind: 'general' | 'search'): Promise<T> {
    const run = () =>
      this.general.schedule(async () => {
        this.requests++;
        try {
          const answer = await this.withDeadline(kind === 'search' ? 'search' : 'request', (options) => task(this.sdk, options));
          this.observe(answer.headers);
          return answer.data;
        } catch (error) {
          if (error instanceof TransientError) throw error;
          this.observe((error as { headers?: Record<string, string> }).headers);
          const mapped = classifyHubSpotError(error);
          if (mapped.status === 429) (kind === 'search' ? this.search : this.general).pause(mapped instanceof TransientError ? (mapped.retryAfterMs ?? 1_000) : 1_000);
          throw mapped;
        }
      });
    return kind === 'search' ? this.search.schedule(run) : run();
  }

  /** One SDK call on an agent of its own, destroyed (closing the socket) when the deadline passes or the call ends. */
  private async withDeadline<T>(what: string, call: (options: RequestOptions) => Promise<T>): Promise<T> {
    const agent = this.secure ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new TransientError(`HubSpot did not answer the ${what} within ${this.timeoutMs} ms`));
        agent.destroy();
      }, this.timeoutMs);
    });
    const options: RequestOptions = { middleware: [{ pre: async (context) => (context.setAgent(agent), context), post: async (context) => context }] };
    try {
      return await Promise.race([call(options), deadline]);
    } finally {
      clearTimeout(timer);
      agent.destroy();
    }
  }
}

/** Call-time options of the SDK's calls: middleware that gives the request its agent. */
export interface RequestOptions {
  middleware: { pre<C extends { setAgent(agent: HttpAgent | HttpsAgent): void }>(context: C): Promise<C>; post<R>(context: R): Promise<R> }[];
}

/** What the SDK's `...WithHttpInfo` calls answer. */
export interface HttpInfo<T> {
  data: T;
  headers: Record<string, string>;
}

interface ApiExceptionLike {
  code?: number;
  body?: { message?: string; category?: string; policyName?: string; status?: string; errors?: { context?: { propertyName?: string[] } }[] } | string;
  message?: string;
}

/** `Property values were not valid: [{"name":"colour",...}]` → the field HubSpot blamed, when `errors[]` does not say. */
function blamedField(message: string): string | undefined {
  const match = /"name":"([^"]+)"/.exec(message);
  return match?.[1];
}

export function classifyHubSpotError(error: unknown): FerryError {
  const e = (error ?? {}) as ApiExceptionLike;
  const status = typeof e.code === 'number' && !Number.isNaN(e.code) ? e.code : undefined;
  const body = typeof e.body === 'object' && e.body ? e.body : undefined;
  const message = body?.message ?? e.message ?? String(error);
  const policy = body?.policyName;
  const answer = { status, message, code: status === 429 ? policy : body?.category, field: body?.errors?.[0]?.context?.propertyName?.[0] ?? blamedField(message) };
  return classifyAnswer('HubSpot', answer, [
    // HubSpot names the limit it applied, not when to come back: the daily one starts again at midnight, the secondly one in a second.
    (a) =>
      a.status === 429
        ? new TransientError(policy === 'DAILY' ? `HubSpot's daily API limit for this account is used up; it starts again at midnight in the account's time zone (${message})` : message, { status: 429, code: policy, retryAfterMs: policy === 'DAILY' ? 60_000 : policy === 'SECONDLY' ? 1_000 : 10_000 })
        : undefined,
  ]);
}
