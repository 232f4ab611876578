/**
 * QuickBooks answers → Ferry's error classes. A Fault keeps Intuit's code, message and element, so a
 * dead-lettered record says exactly what QuickBooks refused (`6240 Duplicate Name Exists Error: DisplayName`).
 */
import { AuthError, type FerryError, PermanentError, TransientError } from '../../src/errors.js';

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

const TRANSIENT_NETWORK = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|socket hang up|timeout|network/i;

export function faultError(fault: QboFault, status?: number): FerryError {
  const first = fault.Error?.[0] ?? {};
  const message = [first.Message, first.Detail].filter(Boolean).join(': ') || 'QuickBooks refused the request';
  const detail = { status, code: first.code, field: first.element || undefined };
  if (fault.type === 'AUTHENTICATION' || status === 401) return new AuthError(message, detail);
  if (status === 429 || first.code === '3001') return new TransientError(message, detail);
  if (fault.type === 'SystemFault' || (status !== undefined && status >= 500)) return new TransientError(message, detail);
  return new PermanentError(message, detail);
}

export function classifyQuickBooksError(error: unknown): FerryError {
  const e = (error ?? {}) as AxiosLike;
  if (e.Fault) return faultError(e.Fault, 200);
  const status = e.response?.status;
  if (status !== undefined) {
    const data = e.response?.data as { Fault?: QboFault; fault?: QboFault; error?: string } | undefined;
    const fault = data?.Fault ?? data?.fault;
    const retryAfter = Number(e.response?.headers?.['retry-after']);
    if (status === 429) return new TransientError(fault?.Error?.[0]?.Detail ?? 'QuickBooks throttled the request', { status, code: '3001', retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined });
    if (fault) return faultError(fault, status);
    if (status >= 500) return new TransientError(`QuickBooks answered ${status}`, { status });
    if (status === 401) return new AuthError('QuickBooks refused the access token', { status });
    // The OAuth token endpoint's refusals (`invalid_grant`, `invalid_client`) keep their code.
    return new PermanentError(`QuickBooks answered ${status}${data?.error ? `: ${data.error}` : ''}`, { status, code: data?.error });
  }
  const message = e.message ?? String(error);
  if (TRANSIENT_NETWORK.test(`${e.code ?? ''} ${message}`)) return new TransientError(`QuickBooks could not be reached: ${message}`);
  return new TransientError(message);
}
