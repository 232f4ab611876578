/**
 * QuickBooks answers → Ferry's error classes. A Fault keeps Intuit's code, message and element, so a
 * dead-lettered record says exactly what QuickBooks refused (`6240 Duplicate Name Exists Error: DisplayName`).
 */
import { AuthError, type FerryError, TransientError } from '../../src/errors.js';
import { classifyAnswer, retryAfterMs } from '../shared/errors.js';

export interface QboFaultError {
  Message?: string;
  Detail?: string;
  code?: string;
  element?: string;
}

export interface QboFault {
  type?: string;
  Error?: QboFaultError[];
}

interface AxiosLike {
  message?: string;
  code?: string;
  response?: { status?: number; headers?: Record<string, string>; data?: unknown };
  Fault?: QboFault;
}

/** A Fault: Intuit's types and codes first (a throttle reported inside a batch's 200 answer), then the shared ladder. */
export function faultError(fault: QboFault, status?: number, retryAfter?: string): FerryError {
  const first = fault.Error?.[0] ?? {};
  const message = [first.Message, first.Detail].filter(Boolean).join(': ') || 'QuickBooks refused the request';
  const answer = { status, message, code: first.code, field: first.element || undefined, retryAfter };
  const detail = { status, code: answer.code, field: answer.field };
  return classifyAnswer('QuickBooks', answer, [
    (a) => (fault.type === 'AUTHENTICATION' || a.status === 401 ? new AuthError(message, detail) : undefined),
    (a) => (a.code === '3001' || fault.type === 'SystemFault' ? new TransientError(message, { ...detail, retryAfterMs: retryAfterMs(a.retryAfter) }) : undefined),
  ]);
}

export function classifyQuickBooksError(error: unknown): FerryError {
  const e = (error ?? {}) as AxiosLike;
  if (e.Fault) return faultError(e.Fault, 200);
  const status = e.response?.status;
  const data = e.response?.data as { Fault?: QboFault; fault?: QboFault; error?: string } | undefined;
  const fault = data?.Fault ?? data?.fault;
  const retryAfter = e.response?.headers?.['retry-after'];
  if (fault) return faultError(fault, status, retryAfter);
  // The OAuth token endpoint's refusals (`invalid_grant`, `invalid_client`) keep their code.
  const message = status === undefined ? (e.message ?? String(error)) : status === 429 ? 'QuickBooks throttled the request' : `QuickBooks answered ${status}${data?.error ? `: ${data.error}` : ''}`;
  return classifyAnswer('QuickBooks', { status, message, code: status === 429 ? '3001' : data?.error, retryAfter });
}
