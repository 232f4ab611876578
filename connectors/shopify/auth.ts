/**
 * The Admin API token a Shopify connection sends. A legacy custom app has a fixed `access_token`. A
 * Dev Dashboard app (the only kind a store can create since 2026-01-01) has a `client_id` and
 * `client_secret`, and buys a token with the client-credentials grant
 * (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant)
 * that lives 24 hours: it is kept in memory, bought again a minute before it expires or once after a
 * 401, one purchase at a time however many requests are waiting. The token and the secret never reach
 * a log line or an error message.
 */
import axios from 'axios';
import { AuthError, TransientError } from '../../src/errors.js';

/** Bought again a minute (or a tenth of its life, if shorter) before it expires, so no request carries a token on its last breath. */
const RENEW_BEFORE_MS = 60_000;

export interface TokenSource {
  /** The token to send now. */
  token(): Promise<string>;
  /** The token was refused (401): true when the next `token()` buys a new one, false when this source cannot. */
  refused(token: string): boolean;
  /** Tokens bought so far. */
  readonly purchases: number;
}

export function fixedToken(token: string): TokenSource {
  return { token: async () => token, refused: () => false, purchases: 0 };
}

export class ClientCredentials implements TokenSource {
  private current?: { token: string; renewAt: number };
  private buying?: Promise<string>;
  purchases = 0;

  constructor(
    private readonly endpoint: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly timeoutMs: number,
  ) {}

  token(): Promise<string> {
    if (this.current && this.current.renewAt > Date.now()) return Promise.resolve(this.current.token);
    this.buying ??= this.buy().finally(() => (this.buying = undefined));
    return this.buying;
  }

  refused(token: string): boolean {
    if (this.current?.token === token) this.current = undefined;
    return true;
  }

  private async buy(): Promise<string> {
    let answer;
    try {
      answer = await axios.post<{ access_token?: string; expires_in?: number; error?: string }>(
        this.endpoint,
        { client_id: this.clientId, client_secret: this.clientSecret, grant_type: 'client_credentials' },
        { timeout: this.timeoutMs, validateStatus: () => true },
      );
    } catch (error) {
      throw new TransientError(`Shopify's token endpoint could not be reached: ${(error as Error).message}`);
    }
    if (answer.status >= 500 || answer.status === 429) throw new TransientError(`Shopify's token endpoint answered ${answer.status}`, { status: answer.status });
    if (answer.status !== 200 || !answer.data.access_token) {
      throw new AuthError(`Shopify refused the app's client credentials (${answer.status} ${answer.data.error ?? ''}): check client_id and client_secret, and that the app is installed on the store`.replace(' )', ')'), { status: answer.status });
    }
    this.purchases++;
    const lifeMs = Number(answer.data.expires_in ?? 86_399) * 1000;
    this.current = { token: answer.data.access_token, renewAt: Date.now() + lifeMs - Math.min(RENEW_BEFORE_MS, lifeMs / 10) };
    return this.current.token;
  }
}
