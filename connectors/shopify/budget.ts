/**
 * The connection's share of Shopify's GraphQL cost bucket
 * (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): every answer reports the
 * bucket (`throttleStatus`: size, what is available, the restore rate), and between answers it refills
 * at the restore rate. A query waits until the bucket holds the cost it will ask for (learnt per
 * document from the answers, the single-query limit until then), and that cost is set aside while it
 * runs, so queries sent together never ask for more than the bucket holds. One budget serves every flow
 * on the connection.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { announceWait } from '../../src/connector/waits.js';

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export class CostBudget {
  private status?: ThrottleStatus;
  private at = 0;
  private reserved = 0;
  private queue: Promise<void> = Promise.resolve();
  /** Wakes the query waiting its turn when a query in flight gives its cost back, before its computed wait is over. */
  private onRelease?: () => void;
  /** Time spent waiting for the bucket, for the benchmark. */
  waitedMs = 0;

  /** The bucket as the last answer described it (its size and restore rate are the plan's). */
  get seen(): ThrottleStatus | undefined {
    return this.status;
  }

  /** What the bucket holds now, by the last answer and the time since. */
  available(now = Date.now()): number {
    if (!this.status) return Infinity;
    return Math.min(this.status.maximumAvailable, this.status.currentlyAvailable + ((now - this.at) / 1000) * this.status.restoreRate) - this.reserved;
  }

  /**
   * Waits, in turn, until the bucket holds `cost`, and sets it aside; `release` gives it back. Before
   * the first answer has told the bucket's size, one query goes at a time. A wait computed while other
   * queries are in flight counts their whole cost as spent; most of it comes back when they answer
   * (a query is charged what it used, not what it asked for), so a release ends the wait early.
   */
  async take(cost: number): Promise<() => void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        const ms = this.status ? this.waitFor(cost) : this.reserved > 0 ? Infinity : 0;
        if (ms <= 0) break;
        if (this.status && this.reserved === 0) announceWait("Shopify's query cost bucket", ms);
        const started = Date.now();
        await this.until(ms);
        this.waitedMs += Date.now() - started;
      }
      this.reserved += cost;
    });
    this.queue = turn.catch(() => undefined);
    await turn;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved -= cost;
      this.onRelease?.();
    };
  }

  /** Sleeps `ms`, or until a query in flight gives its cost back. */
  private async until(ms: number): Promise<void> {
    const stop = new AbortController();
    const released = new Promise<void>((resolve) => (this.onRelease = resolve));
    try {
      await Promise.race([released, Number.isFinite(ms) ? sleep(ms, undefined, { signal: stop.signal }) : new Promise<never>(() => undefined)]);
    } finally {
      this.onRelease = undefined;
      stop.abort();
    }
  }

  /** An answer's view of the bucket (already charged for that query). */
  update(status: ThrottleStatus | undefined, now = Date.now()): void {
    if (!status) return;
    this.status = status;
    this.at = now;
  }

  /** How long until the bucket holds `cost`, for a THROTTLED answer's retry. */
  waitFor(cost: number, now = Date.now()): number {
    if (!this.status) return 1_000;
    return Math.max(0, Math.ceil(((cost - this.available(now)) / this.status.restoreRate) * 1000));
  }
}
