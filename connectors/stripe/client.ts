/**
 * The Stripe client: the official `stripe` SDK pointed at the connection's base URL (`host`, `port`,
 * `protocol`), its network retries off (it would retry without honouring Retry-After and multiply
 * Ferry's attempts), and Ferry's budget in front: 25 requests a second in test mode, 100 live.
 */
import Stripe from 'stripe';
import type { ConnectionSettings } from '../../src/connector/types.js';
import { AuthError, ConfigError, type FerryError, PermanentError, TransientError } from '../../src/errors.js';
import { RateLimiter } from '../shared/limiter.js';

export class StripeClient {
  readonly sdk: Stripe;
  private readonly limiter: RateLimiter;
  requests = 0;

  constructor(settings: ConnectionSettings) {
    const key = settings.options.secret_key ? String(settings.options.secret_key) : undefined;
    if (!key) throw new ConfigError(`connection '${settings.name}' needs secret_key`);
    const url = new URL(settings.baseUrl ?? 'https://api.stripe.com');
    this.sdk = new Stripe(key, {
      host: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      protocol: url.protocol.replace(':', '') as 'http' | 'https',
      maxNetworkRetries: 0,
      timeout: Number(settings.options.timeout_ms ?? 60_000),
    });
    const perSecond = Number(settings.options.requests_per_second ?? (key.startsWith('sk_live') ? 100 : 25));
    this.limiter = new RateLimiter({ limit: perSecond, intervalMs: 1_000, concurrency: 8 });
  }

  async call<T>(task: (sdk: Stripe) => Promise<T>): Promise<T> {
    return this.limiter.schedule(async () => {
      this.requests++;
      try {
        return await task(this.sdk);
      } catch (error) {
        const mapped = classifyStripeError(error);
        if (mapped.status === 429) this.limiter.pause(1_000);
        throw mapped;
      }
    });
  }
}

/** Stripe's error classes → Ferry's; the message, code and param (the field) are kept. */
export function classifyStripeError(error: unknown): FerryError {
  if (!(error instanceof Stripe.errors.StripeError)) return new TransientError(`Stripe could not be reached: ${(error as Error)?.message ?? String(error)}`);
  const detail = { status: error.statusCode, code: error.code, field: error.param };
  if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError) return new TransientError(error.message, detail);
  if (error instanceof Stripe.errors.StripeRateLimitError || error.statusCode === 429) return new TransientError(error.message, { ...detail, retryAfterMs: 1_000 });
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) return new AuthError(`Stripe refused the API key: ${error.message}`, detail);
  if (error.statusCode !== undefined && error.statusCode >= 500) return new TransientError(error.message, detail);
  return new PermanentError(error.message, detail);
}
