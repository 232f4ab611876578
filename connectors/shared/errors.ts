/**
 * The one ladder from a vendor's answer to Ferry's error classes, which every connector shares: no
 * answer, 408, 429 and 5xx are tried again later (429 after `Retry-After`); 401 and 403 need a person to
 * reconnect; anything else is this record's own fault. A connector reduces its SDK's error to an
 * `Answer` and supplies only what its vendor does differently (`overrides`): Stripe's error types,
 * QuickBooks' fault codes, HubSpot's rate-limit policies, Shopify's frozen and locked stores.
 */
import { AuthError, type FerryError, PermanentError, TransientError } from '../../src/errors.js';

export interface Answer {
  /** Undefined when no answer came: refused, dropped or timed out. */
  status?: number;
  message: string;
  /** The vendor's own code for the error. */
  code?: string;
  /** The record field the vendor blamed. */
  field?: string;
  /** The `Retry-After` header as sent. */
  retryAfter?: string | number;
}

/** A vendor's exception to the ladder, or undefined to leave the answer to it. */
export type Override = (answer: Answer) => FerryError | undefined;

/** `Retry-After` in milliseconds: delay-seconds or an HTTP-date (RFC 9110, 10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(value: string | number | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(String(value));
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function classifyAnswer(vendor: string, answer: Answer, overrides: Override[] = []): FerryError {
  for (const override of overrides) {
    const error = override(answer);
    if (error) return error;
  }
  const { status, message, code, field } = answer;
  if (status === undefined) return new TransientError(`${vendor} could not be reached: ${message}`, { code });
  const detail = { status, code, field };
  if (status === 429) return new TransientError(message, { ...detail, retryAfterMs: retryAfterMs(answer.retryAfter) });
  if (status === 408 || status >= 500) return new TransientError(message, detail);
  if (status === 401 || status === 403) return new AuthError(`${vendor} refused the credentials (${status}): ${message}`, detail);
  return new PermanentError(message, detail);
}
