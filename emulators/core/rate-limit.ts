/**
 * Request budgets as the vendors describe them. Each answers `take()` with whether the request may
 * proceed now and, if not, how long until it could.
 */
export interface Limiter {
  take(now: number): { allowed: true } | { allowed: false; retryAfterMs: number };
}

/** At most `limit` requests in any `windowMs` (HubSpot's ten-second window, QuickBooks' per-minute budget, Stripe's per-second). */
export class SlidingWindowLimiter implements Limiter {
  private readonly stamps: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  take(now: number) {
    while (this.stamps.length && this.stamps[0]! <= now - this.windowMs) this.stamps.shift();
    if (this.stamps.length < this.limit) {
      this.stamps.push(now);
      return { allowed: true } as const;
    }
    return { allowed: false, retryAfterMs: this.stamps[0]! + this.windowMs - now } as const;
  }

  remaining(now: number): number {
    while (this.stamps.length && this.stamps[0]! <= now - this.windowMs) this.stamps.shift();
    return this.limit - this.stamps.length;
  }
}

/** Shopify's leaky bucket: `size` requests of burst, leaking `leakPerSecond`. */
export class LeakyBucketLimiter implements Limiter {
  private level = 0;
  private last = 0;

  constructor(
    readonly size: number,
    readonly leakPerSecond: number,
  ) {}

  private drain(now: number): void {
    if (this.last) this.level = Math.max(0, this.level - ((now - this.last) / 1000) * this.leakPerSecond);
    this.last = now;
  }

  take(now: number) {
    this.drain(now);
    if (this.level + 1 <= this.size) {
      this.level += 1;
      return { allowed: true } as const;
    }
    return { allowed: false, retryAfterMs: Math.ceil(((this.level + 1 - this.size) / this.leakPerSecond) * 1000) } as const;
  }

  used(now: number): number {
    this.drain(now);
    return Math.ceil(this.level);
  }
}
