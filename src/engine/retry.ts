/**
 * Ferry's one retry policy. The SDKs' own retries are switched off so attempts are not multiplied;
 * p-retry runs the loop and Ferry chooses each wait: exponential backoff with full jitter, but never
 * sooner than the service's `Retry-After`.
 */
import pRetry from 'p-retry';
import { FerryError, TransientError, toFerryError } from '../errors.js';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface RetryHooks {
  signal?: AbortSignal;
  /** Called before each wait, with the error that caused it and how long the wait will be. */
  onRetry?(error: TransientError, attempt: number, delayMs: number): void;
  /** Random source in [0, 1), replaceable in tests. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A Retry-After longer than this is treated as the service being down, not as a wait to sit through. */
const LONGEST_HONOURED_RETRY_AFTER_MS = 10 * 60_000;

export function backoffDelay(policy: RetryPolicy, attempt: number, error: TransientError, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  const asked = error.retryAfterMs ?? 0;
  return Math.max(jittered, Math.min(asked, LONGEST_HONOURED_RETRY_AFTER_MS));
}

/** Runs `task` until it succeeds, throws something other than a TransientError, or the attempts run out. */
export async function withRetry<T>(task: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const random = hooks.random ?? Math.random;
  const sleep = hooks.sleep ?? abortableSleep;
  try {
    return await pRetry(
      async (attempt) => {
        try {
          return await task(attempt);
        } catch (error) {
          throw toFerryError(error);
        }
      },
      {
        retries: Math.max(0, policy.attempts - 1),
        // Ferry waits in onFailedAttempt, where it can see Retry-After; p-retry's own delay is zero.
        minTimeout: 0,
        maxTimeout: 0,
        factor: 1,
        // A stop (SIGTERM) ends the waiting, not the attempt: work already started is finished and recorded.
        shouldRetry: ({ error }) => error instanceof TransientError && !hooks.signal?.aborted,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (!(error instanceof TransientError) || retriesLeft <= 0 || hooks.signal?.aborted) return;
          const delay = backoffDelay(policy, attemptNumber, error, random);
          hooks.onRetry?.(error, attemptNumber, delay);
          await sleep(delay, hooks.signal);
        },
      },
    );
  } catch (error) {
    throw error instanceof FerryError ? error : toFerryError(error);
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
