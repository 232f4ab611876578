/** The ladder every connector shares, and how a vendor's override takes precedence. */
import { describe, expect, it } from 'vitest';
import { classifyAnswer, retryAfterMs } from '../../../connectors/shared/errors.js';
import { AuthError, PermanentError, TransientError } from '../../../src/errors.js';

describe('classifyAnswer', () => {
  it('no answer, 408, 429 and 5xx later; 401 and 403 a person; the rest this record', () => {
    const classed = (status: number | undefined) => classifyAnswer('Acme', { status, message: 'm' }).constructor;
    expect([undefined, 408, 429, 500, 503].map(classed)).toEqual([TransientError, TransientError, TransientError, TransientError, TransientError]);
    expect([401, 403].map(classed)).toEqual([AuthError, AuthError]);
    expect([400, 402, 404, 409, 422].map(classed)).toEqual([PermanentError, PermanentError, PermanentError, PermanentError, PermanentError]);
    expect(classifyAnswer('Acme', { message: 'ECONNRESET', code: 'ECONNRESET' })).toMatchObject({ message: 'Acme could not be reached: ECONNRESET', code: 'ECONNRESET' });
    expect(classifyAnswer('Acme', { status: 422, message: 'email is invalid', code: 'invalid', field: 'email' })).toMatchObject({ status: 422, code: 'invalid', field: 'email' });
  });

  it('waits as Retry-After says, in seconds or as a date', () => {
    expect(classifyAnswer('Acme', { status: 429, message: 'slow down', retryAfter: '2.5' })).toMatchObject({ retryAfterMs: 2_500 });
    const now = Date.parse('2026-12-03T08:00:00Z');
    expect(retryAfterMs('Thu, 03 Dec 2026 08:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 07:59:00 GMT', now)).toBe(0);
    expect([retryAfterMs(undefined), retryAfterMs(''), retryAfterMs('soon'), retryAfterMs(-1)]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('lets a vendor override the ladder for what it does differently, in order', () => {
    const frozen = (a: { status?: number }) => (a.status === 402 ? new AuthError('the store is frozen', { status: 402 }) : undefined);
    expect(classifyAnswer('Acme', { status: 402, message: 'Payment Required' }, [frozen])).toBeInstanceOf(AuthError);
    expect(classifyAnswer('Acme', { status: 400, message: 'Bad Request' }, [frozen])).toBeInstanceOf(PermanentError);
  });
});
