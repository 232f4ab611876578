/**
 * The authorization-code step of OAuth 2 (RFC 6749 §4.1), as the QuickBooks and HubSpot emulators'
 * consent pages serve it: a code is issued for one redirect URI, the browser is sent back there with it
 * and the state, and the code is good once, for that redirect, for five minutes.
 */
import type { EmulatorResponse } from './server.js';

const CODE_LIFETIME_MS = 300_000;

export class AuthorizationCodes {
  private readonly issued = new Map<string, { redirectUri: string; expires: number }>();

  /** A 302 back to `redirectUri` carrying `code` and the other answers (`state`, Intuit's `realmId`). */
  redirect(code: string, redirectUri: string, answers: Record<string, string>): EmulatorResponse {
    this.issued.set(code, { redirectUri, expires: Date.now() + CODE_LIFETIME_MS });
    const back = new URL(redirectUri);
    back.search = new URLSearchParams({ code, ...answers }).toString();
    return { status: 302, headers: { location: back.toString() }, body: undefined };
  }

  /** Whether `code` was issued for `redirectUri` and is still good; either way it is spent. */
  redeem(code: string | null, redirectUri: string | null): boolean {
    const issued = this.issued.get(code ?? '');
    this.issued.delete(code ?? '');
    return issued !== undefined && issued.expires > Date.now() && issued.redirectUri === redirectUri;
  }
}
