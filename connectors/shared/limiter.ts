/**
 * A client-side request budget per connection: at most `limit` requests in any `intervalMs`, at most
 * `concurrency` in flight, and a shared pause when the service says to back off. Every flow using the
 * connection in this process goes through the same limiter, so together they stay under the service's
 * documented limit.
 *
 * A request counts against the window from the moment it starts until `intervalMs` after it finishes:
 * the service stamps it on arrival, somewhere in between, and only the finish time is sure to be no
 * earlier than that stamp.
 */
import type { ConnectorContext, SharedBudget } from '../../src/connector/types.js';
import { announceWait } from '../../src/connector/waits.js';

export interface LimiterOptions {
  limit: number;
  intervalMs: number;
  concurrency?: number;
  /** What the budget is, as a person reads it in a progress line: "QuickBooks' limit of 500 requests a minute". */
  name?: string;
  /** The same budget kept for every process syncing this account (several machines), under this key. */
  shared?: { budget: SharedBudget; key: string };
}

/** The shared part of a limiter from a connection's context, when processes share a budget; `what` names the limit in the key. */
export function sharedBudget(context: ConnectorContext | undefined, what: string): LimiterOptions['shared'] {
  return context?.budget && context.budgetKey ? { budget: context.budget, key: `${context.budgetKey}:${what}` } : undefined;
}

export class RateLimiter {
  /** When each recent request finished; Infinity while it is still in flight. */
  private readonly stamps: { at: number }[] = [];
  private inFlight = 0;
  private pausedUntil = 0;
  private readonly waiting: (() => void)[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: LimiterOptions) {}

  /** The service said what its budget is (rate-limit headers): follow it from the next request on. */
  adapt(budget: { limit: number; intervalMs: number }): void {
    if (budget.limit === this.options.limit && budget.intervalMs === this.options.intervalMs) return;
    this.options.limit = budget.limit;
    this.options.intervalMs = budget.intervalMs;
    this.wake();
  }

  async schedule<T>(task: () => Promise<T>): Promise<T> {
    const stamp = await this.slot();
    let place: { answered(): Promise<void> } | undefined;
    try {
      const { shared, limit, intervalMs, name } = this.options;
      if (shared) place = await shared.budget.take(shared.key, limit, intervalMs, (ms) => announceWait(name ?? "the service's rate limit", ms));
      return await task();
    } finally {
      stamp.at = Date.now();
      this.inFlight--;
      this.wake();
      // Not awaited: the answer is the caller's now. A place never marked answered is freed by its age.
      place?.answered().catch(() => undefined);
    }
  }

  /** Everyone waits at least this long before the next request (the service asked). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  private slot(): Promise<{ at: number }> {
    return new Promise((resolve) => {
      this.waiting.push(() => {
        const stamp = { at: Infinity };
        this.stamps.push(stamp);
        resolve(stamp);
      });
      this.wake();
    });
  }

  private wake(): void {
    while (this.waiting.length) {
      const now = Date.now();
      for (let i = this.stamps.length - 1; i >= 0; i--) if (this.stamps[i]!.at <= now - this.options.intervalMs) this.stamps.splice(i, 1);
      const oldestFinished = Math.min(...this.stamps.map((s) => s.at));
      const full = this.stamps.length >= this.options.limit;
      const wait = Math.max(this.pausedUntil - now, full && Number.isFinite(oldestFinished) ? oldestFinished + this.options.intervalMs - now : 0);
      if (wait > 0 || (full && !Number.isFinite(oldestFinished)) || this.inFlight >= (this.options.concurrency ?? Infinity)) {
        // When the window is full of requests still in flight, the next finish wakes us.
        if (wait > 0 && !this.timer) {
          announceWait(this.options.name ?? 'the service\'s rate limit', wait);
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.wake();
          }, wait);
        }
        return;
      }
      this.inFlight++;
      this.waiting.shift()!();
    }
  }
}
