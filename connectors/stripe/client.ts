/**
 * The Stripe client: the official `stripe` SDK pointed at the connection's base URL (`host`, `port`,
 * `protocol`), its network retries off (it would retry without honouring Retry-After and multiply
 * Ferry's attempts), and Ferry's budget in front: 25 requests a second in test mode, 100 live.
 */
import Stripe from 'stripe';
import type { ConnectionSettings, ConnectorContext } from '../../src/connector/types.js';
import { AuthError, ConfigError, type FerryError, TransientError } from '../../src/errors.js';
import { classifyAnswer, retryAfterMs } from '../shared/errors.js';
import { RateLimiter, sharedBudget } from '../shared/limiter.js';

/** Stripe's documented request rate by key mode (https://docs.stripe.com/rate-limits). */
export const STRIPE_REQUESTS_PER_SECOND = { live: 100, test: 25 } as const;

export class StripeClient {
  readonly sdk: Stripe;
  private readonly limiter: RateLimiter;
  requests = 0;
  /** What the key says of itself: `sk_live_…` or `sk_test_…`, and `rk_…` for a restricted key. */
  readonly mode: 'live' | 'test';
  readonly restricted: boolean;

  constructor(settings: ConnectionSettings, context?: ConnectorContext) {
    const key = settings.options.secret_key ? String(settings.options.secret_key) : undefined;
    if (!key) throw new ConfigError(`connection '${settings.name}' needs secret_key`);
    this.mode = /^[sr]k_live_/.test(key) ? 'live' : 'test';
    this.restricted = key.startsWith('rk_');
    const url = new URL(settings.baseUrl ?? 'https://api.stripe.com');
    this.sdk = new Stripe(key, {
      host: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      protocol: url.protocol.replace(':', '') as 'http' | 'https',
      maxNetworkRetries: 0,
      timeout: Number(settings.options.timeout_ms ?? 60_000),
      httpClient: new SpentKeyHttpClient(Stripe.createNodeHttpClient(), (send) => {
        this.requests++;
        return this.limiter.schedule(send);
      }),
    });
    const perSecond = Number(settings.options.requests_per_second ?? STRIPE_REQUESTS_PER_SECOND[this.mode]);
    this.limiter = new RateLimiter({ limit: perSecond, intervalMs: 1_000, concurrency: 8, name: `Stripe's limit of ${perSecond} requests a second`, shared: sharedBudget(context, 'requests/second') });
  }

  async call<T>(task: (sdk: Stripe) => Promise<T>): Promise<T> {
    try {
      return await task(this.sdk);
    } catch (error) {
      const mapped = classifyStripeError(error);
      if (mapped.status === 429) this.limiter.pause(1_000);
      throw mapped;
    }
  }
}

/** How many keys of the sequence a write may use before a saved 500 is left to stand. */
const KEYS_PER_WRITE = 5;

/**
 * Stripe saves the answer of a keyed POST once its endpoint has started, a 500 included, and replays it
 * for that key from then on (https://docs.stripe.com/api/idempotent_requests): a key whose saved answer
 * is a 500 is spent, and every later attempt under it would fail the same way. Such a request goes on
 * under the next key of a fixed sequence (`K`, `K:2`, `K:3`, …); each of those replays whatever it saved,
 * so a resend never does the work twice. A later attempt has already looked for what an earlier one
 * made (by `ferry_key`), as every retried write does.
 */
class SpentKeyHttpClient extends Stripe.HttpClient {
  /**
   * `budgeted` sends each request through the connection's budget: every request that reaches Stripe,
   * the SDK's own second try of a dropped connection (which it makes whatever `maxNetworkRetries` says)
   * and each key of the sequence included, so one SDK call can never spend more than its share.
   */
  constructor(
    private readonly inner: Stripe.HttpClient,
    private readonly budgeted: (send: () => Promise<Stripe.HttpClientResponse>) => Promise<Stripe.HttpClientResponse>,
  ) {
    super();
  }

  override getClientName(): string {
    return this.inner.getClientName();
  }

  override async makeRequest(...[host, port, path, method, headers, body, protocol, timeout]: Parameters<Stripe.HttpClient['makeRequest']>): Promise<Stripe.HttpClientResponse> {
    const key = headers['Idempotency-Key'];
    for (let n = 1; ; n++) {
      const sent = n === 1 ? headers : { ...headers, 'Idempotency-Key': `${String(key)}:${n}` };
      const response = await this.budgeted(() => this.inner.makeRequest(host, port, path, method, sent, body, protocol, timeout));
      const spent = key !== undefined && response.getStatusCode() >= 500 && response.getHeaders()['idempotent-replayed'] === 'true';
      if (!spent || n >= KEYS_PER_WRITE) return response;
      response.dispose?.();
    }
  }
}

/** Stripe's errors → Ferry's classes by the shared ladder; the message, code and param (the field) are kept. */
export function classifyStripeError(error: unknown): FerryError {
  if (!(error instanceof Stripe.errors.StripeError)) return classifyAnswer('Stripe', { message: (error as Error)?.message ?? String(error) });
  const answer = { status: error.statusCode, message: error.message, code: error.code, field: error.param, retryAfter: error.headers?.['retry-after'] };
  return classifyAnswer('Stripe', answer, [
    // The SDK's own type says it, whatever the status: a connection that failed, a limit, a refused key.
    (a) => (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError ? new TransientError(a.message, { status: a.status, code: a.code }) : undefined),
    (a) => (error instanceof Stripe.errors.StripeRateLimitError || a.status === 429 ? new TransientError(a.message, { status: a.status, code: a.code, retryAfterMs: retryAfterMs(a.retryAfter) ?? 1_000 }) : undefined),
    (a) => (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError ? new AuthError(`Stripe refused the API key: ${a.message}`, { status: a.status, code: a.code }) : undefined),
  ]);
}
