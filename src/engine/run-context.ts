/**
 * What the stages of one run share: the flow, its open source and target, the ledger, the retry loop,
 * and the tally of what happened to its records (counts, notes, and how far the cursor may move).
 */
import type { JsonObject, ReadRequest } from '../connector/types.js';
import type { Flow } from '../flow/types.js';
import { emptyCounts, type Ledger, type RunCounts, type Settlement } from '../ledger/ledger.js';
import type { Logger } from '../log.js';
import type { OpenEntity } from './connections.js';
import { contentHash } from './hash.js';
import type { RunOptions } from './run-options.js';
import type { WriterContext } from './writer.js';

export interface RunContext {
  readonly flow: Flow;
  readonly ledger: Ledger;
  readonly logger: Logger;
  readonly options: RunOptions;
  readonly runId: number;
  readonly dryRun: boolean;
  readonly source: OpenEntity;
  readonly target: OpenEntity;
  readonly writer: WriterContext;
  readonly tally: RunTally;
  /** `task` under the flow's retry policy, logged, honouring the run's stop signal. */
  retry<T>(task: (attempt: number) => Promise<T>): Promise<T>;
  readRequest(since: Date | undefined): ReadRequest;
  /** Decide, merge and deliver one batch of source records; `retrying` for records the ledger retries (so the source's copy is not counted twice). */
  process(records: JsonObject[], how?: { retrying?: boolean }): Promise<void>;
}

export class RunTally {
  readonly counts: RunCounts = emptyCounts();
  readonly notes: string[] = [];
  /** Records whose interrupted write could not be settled in this run: nobody knows yet whether it arrived, so they are not written. */
  readonly unsettled = new Set<string>();
  /** Records processed so far, and how many the run will process when the source or the selection says. */
  processed = 0;
  total: number | undefined;
  /** The oldest source time among records this run left `failed`: the cursor stops there. */
  private earliestFailed: string | undefined;

  count(settlements: Settlement[]): void {
    for (const s of settlements) {
      if (s.status === 'failed') this.holdCursorAt(s.sourceUpdatedAt);
      if (s.status === 'synced') this.counts[s.action ?? 'updated']++;
      else this.counts[s.status]++;
    }
  }

  /** The next run must read this record's source again: the cursor stops at its time. */
  holdCursorAt(sourceUpdatedAt: string | undefined): void {
    if (sourceUpdatedAt && (!this.earliestFailed || Date.parse(sourceUpdatedAt) < Date.parse(this.earliestFailed))) this.earliestFailed = sourceUpdatedAt;
  }

  /**
   * Where the next run starts reading: the high-water mark, but never past a record this run left
   * `failed` (neither synced nor dead-lettered), so the next run reads it again from the source.
   */
  checkpoint(highWater: string): string {
    return this.earliestFailed && Date.parse(this.earliestFailed) < Date.parse(highWater) ? this.earliestFailed : highWater;
  }

  get troubled(): boolean {
    const c = this.counts;
    return c.failed + c.dead + c.held + c.waiting + this.unsettled.size > 0;
  }
}

/** A record that cannot be delivered, decided without calling the target. */
export function deadSettlement(flow: Flow, sourceId: string, message: string, record?: JsonObject): Settlement {
  return {
    sourceId,
    status: 'dead',
    sourceHash: record ? contentHash(record) : '',
    flowVersion: flow.version,
    source: record,
    error: { class: 'permanent', code: 'source', message },
  };
}
