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
 */
import { Client } from '@hubspot/api-client';
import type { ConnectionSettings } from '../../src/connector/types.js';
import { AuthError, ConfigError, type FerryError, PermanentError, TransientError } from '../../src/errors.js';
import { RateLimiter } from '../shared/limiter.js';

export class HubSpotClient {
  readonly sdk: Client;
  private readonly general: RateLimiter;
  private readonly search: RateLimiter;
  requests = 0;

  /** A budget set in the connection's options is a ceiling the headers cannot raise. */
  private readonly ceiling: number;

  constructor(settings: ConnectionSettings) {
    const accessToken = settings.options.access_token ? String(settings.options.access_token) : undefined;
    if (!accessToken) throw new ConfigError(`connection '${settings.name}' needs access_token (a private app token)`);
    this.sdk = new Client({ accessToken, basePath: settings.baseUrl ?? 'https://api.hubapi.com' });
    this.ceiling = settings.options.requests_per_ten_seconds === undefined ? Infinity : Number(settings.options.requests_per_ten_seconds);
    this.general = new RateLimiter({ limit: Number(settings.options.requests_per_ten_seconds ?? 190), intervalMs: 10_000, concurrency: 5 });
    this.search = new RateLimiter({ limit: Number(settings.options.searches_per_second ?? 5), intervalMs: 1_000 });
  }

  /** `X-HubSpot-RateLimit-Max`, `-Remaining` and `-Interval-Milliseconds`, on every answer but search's. */
  private observe(headers: Record<string, string> | undefined): void {
    const max = Number(headers?.['x-hubspot-ratelimit-max']);
    const remaining = Number(headers?.['x-hubspot-ratelimit-remaining']);
    const intervalMs = Number(headers?.['x-hubspot-ratelimit-interval-milliseconds']);
    if (!(max > 0 && intervalMs > 0 && remaining >= 0)) return;
    this.general.adapt({ limit: Math.min(this.ceiling, Math.max(1, Math.floor(max * 0.95))), intervalMs });
    if (remaining < Math.floor(max * 0.05)) this.general.pause(intervalMs);
  }

  /** One request through the budget; `task` makes a `...WithHttpInfo` call, and its answer's body is returned. */
  async call<T>(task: (sdk: Client) => Promise<HttpInfo<T>>, kind: 'general' | 'search' = 'general'): Promise<T> {
    const run = () =>
      this.general.schedule(async () => {
        this.requests++;
        try {
          const answer = await task(this.sdk);
          this.observe(answer.headers);
          return answer.data;
        } catch (error) {
          this.observe((error as { headers?: Record<string, string> }).headers);
          const mapped = classifyHubSpotError(error);
          if (mapped.status === 429) (kind === 'search' ? this.search : this.general).pause(mapped instanceof TransientError ? (mapped.retryAfterMs ?? 1_000) : 1_000);
          throw mapped;
        }
      });
    return kind === 'search' ? this.search.schedule(run) : run();
  }
}

/** What the SDK's `...WithHttpInfo` calls answer. */
export interface HttpInfo<T> {
  data: T;
  headers: Record<string, string>;
}

interface ApiExceptionLike {
  code?: number;
  body?: { message?: string; category?: string; policyName?: string } | string;
  message?: string;
}

/** `Property values were not valid: [{"name":"colour",...}]` → the field HubSpot blamed. */
function blamedField(message: string): string | undefined {
  const match = /"name":"([^"]+)"/.exec(message);
  return match?.[1];
}

export function classifyHubSpotError(error: unknown): FerryError {
  const e = (error ?? {}) as ApiExceptionLike;
  const status = typeof e.code === 'number' ? e.code : undefined;
  const body = typeof e.body === 'object' && e.body ? e.body : undefined;
  const message = body?.message ?? e.message ?? String(error);
  if (status === undefined || Number.isNaN(status)) return new TransientError(`HubSpot could not be reached: ${message}`);
  if (status === 429) return new TransientError(message, { status, code: body?.policyName, retryAfterMs: body?.policyName === 'SECONDLY' ? 1_000 : 10_000 });
  if (status >= 500) return new TransientError(message, { status, code: body?.category });
  if (status === 401 || status === 403) return new AuthError(`HubSpot refused the access token (${status}): ${message}`, { status, code: body?.category });
  return new PermanentError(message, { status, code: body?.category, field: blamedField(message) });
}
