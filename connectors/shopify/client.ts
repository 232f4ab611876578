/**
 * The Shopify client: the official `shopify-api-node` SDK, pointed at the connection's base URL through
 * its public `baseUrl` property (the SDK otherwise always builds https://{shop}.myshopify.com), with its
 * own retries off and Ferry's budget in front: the leaky bucket Shopify documents (40 requests of burst,
 * 2 a second), slowed further when the call-limit header says the bucket is nearly full.
 */
import Shopify from 'shopify-api-node';
import type { ConnectionSettings } from '../../src/connector/types.js';
import { AuthError, ConfigError, type FerryError, PermanentError, TransientError } from '../../src/errors.js';
import { RateLimiter } from '../shared/limiter.js';

export class ShopifyClient {
  readonly sdk: Shopify;
  private readonly limiter: RateLimiter;
  requests = 0;

  constructor(settings: ConnectionSettings) {
    const shop = settings.options.shop ? String(settings.options.shop) : undefined;
    const accessToken = settings.options.access_token ? String(settings.options.access_token) : undefined;
    if (!shop || !accessToken) throw new ConfigError(`connection '${settings.name}' needs shop and access_token`);
    this.sdk = new Shopify({ shopName: shop, accessToken, apiVersion: String(settings.options.api_version ?? '2026-07'), timeout: Number(settings.options.timeout_ms ?? 60_000) });
    if (settings.baseUrl && !settings.baseUrl.includes('.myshopify.com')) {
      const url = new URL(settings.baseUrl);
      (this.sdk as unknown as { baseUrl: object }).baseUrl = { protocol: url.protocol, hostname: url.hostname, port: url.port };
    }
    this.limiter = new RateLimiter({ limit: Number(settings.options.bucket_size ?? 40), intervalMs: 20_000, concurrency: 4 });
    this.sdk.on('callLimits', (limits: { remaining?: number }) => {
      if (limits.remaining !== undefined && limits.remaining < 4) this.limiter.pause(1_000);
    });
  }

  async call<T>(task: (sdk: Shopify) => Promise<T>): Promise<T> {
    return this.limiter.schedule(async () => {
      this.requests++;
      try {
        return await task(this.sdk);
      } catch (error) {
        const mapped = classifyShopifyError(error);
        if (mapped instanceof TransientError && mapped.retryAfterMs) this.limiter.pause(mapped.retryAfterMs);
        throw mapped;
      }
    });
  }
}

interface GotError {
  message?: string;
  code?: string;
  response?: { statusCode?: number; headers?: Record<string, string>; body?: { errors?: unknown } };
}

/** Shopify's answers → Ferry's classes; 422 bodies (`{"errors":{"email":["has already been taken"]}}`) keep the field. */
export function classifyShopifyError(error: unknown): FerryError {
  const e = (error ?? {}) as GotError;
  const status = e.response?.statusCode;
  const errors = e.response?.body?.errors;
  if (status === undefined) return new TransientError(`Shopify could not be reached: ${e.message ?? String(error)}`, { code: e.code });
  const retryAfter = Number(e.response?.headers?.['retry-after']);
  if (status === 429) return new TransientError('Shopify rate limit reached', { status, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : 2_000 });
  if (status >= 500) return new TransientError(`Shopify answered ${status}`, { status });
  if (status === 401 || status === 403) return new AuthError(`Shopify refused the access token (${status}): ${typeof errors === 'string' ? errors : 'check the app and its scopes'}`, { status });
  if (errors && typeof errors === 'object') {
    const [field, messages] = Object.entries(errors as Record<string, unknown>)[0] ?? [];
    return new PermanentError(`${field}: ${Array.isArray(messages) ? messages.join(', ') : String(messages)}`, { status, field });
  }
  return new PermanentError(`Shopify answered ${status}${errors ? `: ${String(errors)}` : ''}`, { status });
}
