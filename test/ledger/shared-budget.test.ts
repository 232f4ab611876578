/**
 * One request budget for every process syncing an account: two limiters (two daemons' clients for one
 * QuickBooks company) drawing from a PostgreSQL ledger's shared budget together send no more than the
 * limit in any window; each on its own would send the limit each.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../connectors/shared/limiter.js';
import type { SharedBudget } from '../../src/connector/types.js';
import { type LedgerStore, ledgerKinds } from '../support/ledger-stores.js';

const postgres = ledgerKinds().find((k) => k.name === 'PostgreSQL')!;
const LIMIT = 5;
const INTERVAL = 1_000;

/**
 * The most request starts in any window of the interval. Starts are timed here, a few milliseconds after
 * the database granted them (the grants themselves queue on the key's lock), so windows are measured a
 * little shorter than the interval the budget keeps.
 */
const TIMING_SLACK_MS = 25;
function busiestWindow(starts: number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i++) most = Math.max(most, sorted.filter((t) => t >= sorted[i]! && t < sorted[i]! + INTERVAL - TIMING_SLACK_MS).length);
  return most;
}

async function burst(limiters: RateLimiter[], perLimiter: number): Promise<number[]> {
  const starts: number[] = [];
  await Promise.all(limiters.flatMap((limiter) => Array.from({ length: perLimiter }, () => limiter.schedule(async () => void starts.push(performance.now())))));
  return starts;
}

describe.skipIf(postgres.unavailable !== undefined)('a request budget shared through PostgreSQL', () => {
  let store: LedgerStore;
  afterAll(() => store?.close());

  it('holds two processes together to the limit in every window, where each alone would spend it', { timeout: 30_000 }, async () => {
    store = await postgres.store();
    const budget: SharedBudget = store.open().sharedBudget!();
    const shared = (key: string) => new RateLimiter({ limit: LIMIT, intervalMs: INTERVAL, shared: { budget, key } });
    const together = await burst([shared('quickbooks:realm 1:requests/second'), shared('quickbooks:realm 1:requests/second')], 8);
    expect(together).toHaveLength(16);
    expect(busiestWindow(together)).toBeLessThanOrEqual(LIMIT);
    expect(Math.max(...together) - Math.min(...together)).toBeGreaterThanOrEqual(2 * INTERVAL * 0.9);

    // Without the shared budget, two limiters each spend the whole limit at once.
    const alone = await burst([new RateLimiter({ limit: LIMIT, intervalMs: INTERVAL }), new RateLimiter({ limit: LIMIT, intervalMs: INTERVAL })], LIMIT);
    expect(busiestWindow(alone)).toBe(2 * LIMIT);

    // A request holds its place until its answer, which starts its interval: the service may stamp it late.
    const slow = shared('quickbooks:realm 3:requests/second');
    const started = performance.now();
    const answered: number[] = [];
    await Promise.all(Array.from({ length: LIMIT }, () => slow.schedule(async () => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      answered.push(performance.now());
    })));
    let next = 0;
    await shared('quickbooks:realm 3:requests/second').schedule(async () => void (next = performance.now()));
    expect(next - started).toBeGreaterThanOrEqual(600 + INTERVAL - TIMING_SLACK_MS);
    expect(next).toBeGreaterThanOrEqual(Math.min(...answered) + INTERVAL - TIMING_SLACK_MS);

    // A process SIGKILLed with requests in flight never says they were answered: their places are free
    // once those requests have surely arrived and their interval has passed, not a minute later.
    const abandoned = 'quickbooks:realm 4:requests/second';
    for (let i = 0; i < LIMIT; i++) await budget.take(abandoned, LIMIT, INTERVAL);
    const killedAt = performance.now();
    await budget.take(abandoned, LIMIT, INTERVAL);
    expect(performance.now() - killedAt).toBeGreaterThanOrEqual(5_000 + INTERVAL - TIMING_SLACK_MS);
    expect(performance.now() - killedAt).toBeLessThan(5_000 + INTERVAL + 2_000);

    // Another account's budget is its own.
    const other = await burst([shared('quickbooks:realm 2:requests/second')], LIMIT);
    expect(Math.max(...other) - Math.min(...other)).toBeLessThan(INTERVAL);
  });
});
