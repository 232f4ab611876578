/**
 * A client-side request budget per connection: at most `limit` requests started in any `intervalMs`,
 * at most `concurrency` in flight, and a shared pause when the service says to back off (429 with
 * Retry-After, or headers showing the budget is spent). Every flow using the connection in this process
 * goes through the same limiter, so together they stay under the service's documented limit.
 */
export interface LimiterOptions {
  limit: number;
  intervalMs: number;
  concurrency?: number;
}

export class RateLimiter {
  private readonly starts: number[] = [];
  private inFlight = 0;
  private pausedUntil = 0;
  private readonly waiting: (() => void)[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: LimiterOptions) {}

  /** Runs `task` when the budget allows. */
  async schedule<T>(task: () => Promise<T>): Promise<T> {
    await this.slot();
    try {
      return await task();
    } finally {
      this.inFlight--;
      this.wake();
    }
  }

  /** Everyone waits at least this long before the next request (the service asked). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  private slot(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.wake();
    });
  }

  private wake(): void {
    while (this.waiting.length) {
      const now = Date.now();
      while (this.starts.length && this.starts[0]! <= now - this.options.intervalMs) this.starts.shift();
      const wait = Math.max(
        this.pausedUntil - now,
        this.starts.length >= this.options.limit ? this.starts[0]! + this.options.intervalMs - now : 0,
      );
      const full = this.inFlight >= (this.options.concurrency ?? Infinity);
      if (wait > 0 || full) {
        if (wait > 0 && !this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.wake();
          }, wait);
        }
        return;
      }
      this.starts.push(now);
      this.inFlight++;
      this.waiting.shift()!();
    }
  }
}
