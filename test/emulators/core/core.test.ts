import { describe, expect, it } from 'vitest';
import { drawFault, parseFaults } from '../../../emulators/core/faults.js';
import { seededRandom } from '../../../emulators/core/random.js';
import { LeakyBucketLimiter, SlidingWindowLimiter } from '../../../emulators/core/rate-limit.js';

describe('emulator core', () => {
  it('parses fault specs and draws faults in the asked shares, the same for the same seed', () => {
    const plan = parseFaults('429=0.2,500=0.05,drop=0.02,lost=0.03,timeout=0.02,latency=20ms');
    expect(plan).toEqual({ rateLimited: 0.2, serverError: 0.05, dropped: 0.02, lost: 0.03, timeout: 0.02, latencyMs: 20 });
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 20_000 }, () => drawFault(plan, random));
    };
    const faults = draw(9);
    const share = (f: string) => faults.filter((x) => x === f).length / faults.length;
    expect(share('rate-limited')).toBeCloseTo(0.2, 1);
    expect(share('server-error')).toBeCloseTo(0.05, 1);
    expect(share('dropped')).toBeCloseTo(0.02, 1);
    expect(share('lost')).toBeCloseTo(0.03, 1);
    expect(faults).toEqual(draw(9));
    expect(() => parseFaults('teapot=0.1')).toThrow(/unknown fault 'teapot'/);
  });

  it('a sliding window admits its limit per window and says when the next slot frees', () => {
    const limiter = new SlidingWindowLimiter(3, 1_000);
    expect([0, 10, 20, 30].map((t) => limiter.take(t).allowed)).toEqual([true, true, true, false]);
    expect(limiter.take(500)).toEqual({ allowed: false, retryAfterMs: 500 });
    expect(limiter.take(1_000).allowed).toBe(true);
  });

  it('a leaky bucket allows its burst, then leaks at its rate', () => {
    const bucket = new LeakyBucketLimiter(40, 2);
    const burst = Array.from({ length: 41 }, () => bucket.take(1_000).allowed);
    expect(burst.filter(Boolean)).toHaveLength(40);
    expect(bucket.take(1_000)).toEqual({ allowed: false, retryAfterMs: 500 });
    expect(bucket.take(1_500).allowed).toBe(true);
  });
});

describe('injected connection faults', () => {
  it('drops connections, loses answers and leaves requests unanswered as told', async () => {
    const { startStripe } = await import('../../../emulators/stripe/index.js');
    const emu = await startStripe({ seed: 1 });
    try {
      const headers = { authorization: `Bearer ${emu.secretKey}` };
      await fetch(`${emu.url}/__admin/faults`, { method: 'PUT', body: JSON.stringify({ dropped: 1 }) });
      await expect(fetch(`${emu.url}/v1/customers`, { headers })).rejects.toThrow();
      // A lost answer: the customer is created, but the client only sees the connection close.
      await fetch(`${emu.url}/__admin/faults`, { method: 'PUT', body: JSON.stringify({ lost: 1 }) });
      const create = { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=lost%40x.test' };
      await expect(fetch(`${emu.url}/v1/customers`, create)).rejects.toThrow();
      await fetch(`${emu.url}/__admin/faults`, { method: 'PUT', body: JSON.stringify({ timeout: 1 }) });
      await expect(fetch(`${emu.url}/v1/customers`, { headers, signal: AbortSignal.timeout(300) })).rejects.toThrow(/aborted|timeout/i);
      await fetch(`${emu.url}/__admin/faults`, { method: 'PUT', body: JSON.stringify({}) });
      const list = await fetch(`${emu.url}/v1/customers?email=lost%40x.test`, { headers });
      expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
      const log = (await (await fetch(`${emu.url}/__admin/requests`)).json()) as { byFault: Record<string, number> };
      expect(log.byFault).toEqual({ dropped: 1, lost: 1, timeout: 1 });
    } finally {
      await emu.close();
    }
  });
});
