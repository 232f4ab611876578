/**
 * The QuickBooks Online client: the official `node-quickbooks` SDK pointed at the connection's base URL,
 * with Ferry's budget (500 requests a minute, 10 a second, 40 batches a minute per realm), a timeout the
 * SDK lacks, one OAuth refresh at a time, rotated refresh tokens persisted before use, and errors
 * mapped to Ferry's classes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import QuickBooks from 'node-quickbooks';
import type { ConnectionSettings, ConnectorContext } from '../../src/connector/types.js';
import { AuthError, ConfigError, FerryError, TransientError } from '../../src/errors.js';
import { RateLimiter, sharedBudget } from '../shared/limiter.js';
import { classifyQuickBooksError } from './errors.js';

type Callback = (error: unknown, data: unknown) => void;
type Sdk = Record<string, (...args: unknown[]) => void> & { endpoint: string; token: string; refreshToken: string };

const REFRESH_WARNING_DAYS = 14;
/** Intuit's token endpoint, as node-quickbooks names it before any connection points it elsewhere. */
const INTUIT_TOKEN_URL = (QuickBooks as unknown as { TOKEN_URL: string }).TOKEN_URL;

/**
 * node-quickbooks sends every request (refreshes included) through the default instance of its own copy
 * of axios and takes no per-request options. An interceptor on that instance (resolved from the SDK)
 * gives each request what the client put in async context for it:
 *  - its deadline, as an AbortSignal: a request given up on is cancelled and its socket closed, not left
 *    running (which kept `ferry run` alive after its runs had ended);
 *  - for a write batch, its `requestid`: QuickBooks de-duplicates a POST that repeats it, and the SDK
 *    only reads a `requestId` from single-entity bodies.
 * Concurrent requests on other connections never see each other's context.
 */
interface RequestContext {
  signal: AbortSignal;
  requestId?: string;
}
const requestContext = new AsyncLocalStorage<RequestContext>();
type AxiosConfig = { method?: string; params?: Record<string, unknown>; signal?: AbortSignal };
const sdkAxios = createRequire(createRequire(import.meta.url).resolve('node-quickbooks'))('axios') as {
  interceptors: { request: { use(handler: (config: AxiosConfig) => AxiosConfig): void } };
};
sdkAxios.interceptors.request.use((config) => {
  const context = requestContext.getStore();
  if (!context) return config;
  config.signal = context.signal;
  if (context.requestId && config.method?.toLowerCase() === 'post') config.params = { ...config.params, requestid: context.requestId };
  return config;
});

export class QuickBooksClient {
  readonly realmId: string;
  private readonly sdk: Sdk;
  private readonly general: RateLimiter;
  private readonly perSecond: RateLimiter;
  private readonly batches: RateLimiter;
  private refreshing?: Promise<void>;
  /** Set once QuickBooks has refused every refresh token Ferry holds: only a person can reconnect, so nothing asks again. */
  private stranded?: AuthError;
  private readonly timeoutMs: number;
  private readonly tokenUrl: string;
  /** Requests sent, for benchmarks and tests. */
  requests = 0;

  private constructor(
    private readonly settings: ConnectionSettings,
    private readonly context: ConnectorContext,
    refreshToken: string,
    /** The config's refresh token, tried when a saved one is refused (someone reconnected the app). */
    private configuredRefreshToken?: string,
  ) {
    const option = (key: string) => (settings.options[key] === undefined ? undefined : String(settings.options[key]));
    const missing = ['realm_id', 'client_id', 'client_secret'].filter((k) => !option(k));
    if (missing.length) throw new ConfigError(`connection '${settings.name}' needs ${missing.join(', ')}`);
    this.realmId = option('realm_id')!;
    this.timeoutMs = Number(option('timeout_ms') ?? 60_000);
    this.tokenUrl = option('token_url') ?? INTUIT_TOKEN_URL;
    this.sdk = new (QuickBooks as unknown as new (o: object) => Sdk)({
      consumerKey: option('client_id'),
      consumerSecret: option('client_secret'),
      token: option('access_token') ?? '',
      realmId: this.realmId,
      useSandbox: false,
      minorversion: 75,
      oauthversion: '2.0',
      refreshToken,
    });
    this.sdk.endpoint = `${(settings.baseUrl ?? 'https://quickbooks.api.intuit.com').replace(/\/$/, '')}/v3/company/`;
    const limit = (name: string, fallback: number) => Number(option(name) ?? fallback);
    // Per company and app: every process syncing the company draws from the same budgets when they share one.
    this.general = new RateLimiter({ limit: limit('requests_per_minute', 500), intervalMs: 60_000, name: `QuickBooks' limit of ${limit('requests_per_minute', 500)} requests a minute`, shared: sharedBudget(context, 'requests/minute') });
    this.perSecond = new RateLimiter({ limit: limit('requests_per_second', 10), intervalMs: 1_000, name: `QuickBooks' limit of ${limit('requests_per_second', 10)} requests a second`, shared: sharedBudget(context, 'requests/second') });
    this.batches = new RateLimiter({ limit: limit('batches_per_minute', 40), intervalMs: 60_000, name: `QuickBooks' limit of ${limit('batches_per_minute', 40)} batches a minute`, shared: sharedBudget(context, 'batches/minute') });
  }

  static async open(settings: ConnectionSettings, context: ConnectorContext): Promise<QuickBooksClient> {
    // A refresh token rotated and saved by an earlier run is newer than the one in the config.
    const saved = await context.loadSecret?.(settings.name, 'refresh_token');
    const configured = settings.options.refresh_token === undefined ? undefined : String(settings.options.refresh_token);
    const token = saved ?? configured;
    if (!token) throw new ConfigError(`connection '${settings.name}' needs refresh_token (QuickBooks OAuth 2)`);
    return new QuickBooksClient(settings, context, token, saved && configured !== saved ? configured : undefined);
  }

  /** Calls an SDK method (callback style) under the budget, refreshing the access token once on a 401. */
  call<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.callWith<T>(undefined, method, args);
  }

  /**
   * A `/batch` of writes; sent again with the same `requestId`, QuickBooks answers as it did the first time.
   * `beforeSend` runs when the budget lets the batch go, right before it is sent (a run checks it still
   * holds its lock: the wait for a batch slot can be long).
   */
  writeBatch<T>(operations: object[], requestId: string, beforeSend?: () => void): Promise<T> {
    return this.callWith<T>(requestId, 'batch', [operations], beforeSend);
  }

  private async callWith<T>(requestId: string | undefined, method: string, args: unknown[], beforeSend?: () => void): Promise<T> {
    const paced = () => this.general.schedule(() => this.perSecond.schedule(() => (beforeSend?.(), this.send<T>(method, args, requestId))));
    const attempt = () => (method === 'batch' ? this.batches.schedule(paced) : paced());
    if (this.stranded) throw this.stranded;
    try {
      if (!this.sdk.token) await this.refresh();
      return await attempt();
    } catch (error) {
      if (!(error instanceof AuthError) || error.code === 'invalid_grant') throw error;
      await this.refresh();
      return attempt();
    }
  }

  /** One SDK call (callback style) with a deadline that cancels the request when it passes. */
  private send<T>(method: string, args: unknown[], requestId?: string): Promise<T> {
    this.requests++;
    return new Promise<T>((resolve, reject) => {
      const deadline = new AbortController();
      const timer = setTimeout(() => {
        reject(new TransientError(`QuickBooks did not answer ${method} within ${this.timeoutMs} ms`));
        deadline.abort();
      }, this.timeoutMs);
      const callback: Callback = (error, data) => {
        clearTimeout(timer);
        if (error) reject(this.mapped(error));
        else resolve(data as T);
      };
      // node-quickbooks reads the token endpoint from a process-wide property, synchronously as the refresh
      // starts: set just before, each connection refreshes at its own endpoint (one per emulated company).
      if (method === 'refreshAccessToken') (QuickBooks as unknown as { TOKEN_URL: string }).TOKEN_URL = this.tokenUrl;
      requestContext.run({ signal: deadline.signal, requestId }, () => this.sdk[method]!(...args, callback));
    });
  }

  private mapped(error: unknown): FerryError {
    const mapped = classifyQuickBooksError(error);
    if (mapped instanceof TransientError && mapped.status === 429) this.general.pause(mapped.retryAfterMs ?? 1_000);
    return mapped;
  }

  /** One refresh at a time: concurrent 401s wait for the same one. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    let answer: { refresh_token?: string; x_refresh_token_expires_in?: number };
    try {
      answer = await this.send<typeof answer>('refreshAccessToken', []);
    } catch (error) {
      const refused = error instanceof FerryError && error.code === 'invalid_grant';
      if (refused && this.configuredRefreshToken) {
        // The saved token is dead, but the config holds a different one: a person reconnected the app.
        this.sdk.refreshToken = this.configuredRefreshToken;
        this.configuredRefreshToken = undefined;
        return this.doRefresh();
      }
      if (refused) {
        this.stranded = new AuthError(
          `QuickBooks refused the refresh token for connection '${this.settings.name}' (invalid_grant): reconnect the app to the company, then set the new refresh token in the connection's refresh_token and delete its entry from the secrets file`,
          { code: 'invalid_grant', status: 400 },
        );
        this.context.warn?.(this.stranded.message);
        throw this.stranded;
      }
      throw error;
    }
    // Saved before the new access token is used: a crash now still leaves the newest refresh token on disk.
    if (answer.refresh_token) await this.context.saveSecret?.(this.settings.name, 'refresh_token', answer.refresh_token);
    const days = (answer.x_refresh_token_expires_in ?? Infinity) / 86_400;
    if (days < REFRESH_WARNING_DAYS) this.context.warn?.(`QuickBooks refresh token for '${this.settings.name}' expires in ${Math.floor(days)} days: reconnect the app before then`);
  }
}
