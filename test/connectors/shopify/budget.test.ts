/** The connection's share of Shopify's cost bucket, on its own. */
import { describe, expect, it } from 'vitest';
import { CostBudget } from '../../../connectors/shopify/budget.js';

describe('CostBudget', () => {
  it('lets a waiting query go when one in flight gives back what it did not use, not when its whole cost would have refilled', async () => {
    const budget = new CostBudget();
    budget.update({ maximumAvailable: 1_000, currentlyAvailable: 1_000, restoreRate: 10 });
    const release = await budget.take(900);
    // Counting the first query's 900 as spent, the second would wait (900 - 100) / 10 = 80 seconds.
    expect(budget.waitFor(900)).toBeGreaterThan(79_000);
    let second = false;
    const waiting = budget.take(900).then((r) => ((second = true), r));
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(false);
    // The first answer: Shopify charged 50 of the 900 it asked for.
    budget.update({ maximumAvailable: 1_000, currentlyAvailable: 950, restoreRate: 10 });
    release();
    const outcome = await Promise.race([waiting.then(() => 'went'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000))]);
    expect(outcome).toBe('went');
    expect(budget.available()).toBeLessThan(100);
  });

  it('sends one query at a time until an answer has told the bucket’s size', async () => {
    const budget = new CostBudget();
    const first = await budget.take(1_000);
    let second = false;
    void budget.take(1_000).then(() => (second = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second).toBe(false);
    first();
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(true);
  });
});
