import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.js';
import { backoffDelay, withRetry } from '../../src/engine/retry.js';

const policy = { attempts: 4, initialDelayMs: 100, maxDelayMs: 1_000 };

describe('retry policy', () => {
  it('backs off exponentially with jitter, capped, and never sooner than Retry-After', () => {
    const plain = new TransientError('503');
    expect(backoffDelay(policy, 1, plain, () => 0)).toBe(50);
    expect(backoffDelay(policy, 1, plain, () => 0.999)).toBeLessThanOrEqual(100);
    expect(backoffDelay(policy, 3, plain, () => 1)).toBe(400);
    expect(backoffDelay(policy, 10, plain, () => 1)).toBe(1_000);
    expect(backoffDelay(policy, 1, new TransientError('429', { retryAfterMs: 7_000 }), () => 0)).toBe(7_000);
  });

  it('retries transient errors and stops at the first permanent one', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new TransientError('429', { retryAfterMs: 1_500 });
        return 'done';
      },
      policy,
      { sleep: async (ms) => void waits.push(ms), random: () => 0 },
    );
    expect(result).toBe('done');
    expect(waits).toEqual([1_500, 1_500]);

    calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new PermanentError('400 bad request');
      }, policy),
    ).rejects.toBeInstanceOf(PermanentError);
    expect(calls).toBe(1);
  });

  it('gives up after the configured attempts with the last error', async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        throw new TransientError(`timeout ${calls}`);
      },
      policy,
      { sleep: async () => {} },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe('timeout 4');
  });
});
