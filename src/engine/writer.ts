/**
 * Delivering decided writes to the target: reserve (durably, before any is sent) → call the target in
 * the connector's batch size, retrying transient failures per item → settle (one transaction).
 * One bad item never fails or acknowledges its neighbours.
 */
import type { WriteItem, WriteResult } from '../connector/types.js';
import { AuthError, type FerryError, PermanentError, StaleLockError, TransientError, toFerryError } from '../errors.js';
import type { Flow } from '../flow/types.js';
import type { Ledger, PendingWrite, RecordDigest, Settlement } from '../ledger/ledger.js';
import type { OpenEntity } from './connections.js';
import { recordError } from './decide.js';
import { failpoint } from './failpoint.js';
import { withRetry, type RetryHooks } from './retry.js';

export interface PlannedWrite {
  item: WriteItem;
  pending: PendingWrite;
  previous?: Pick<RecordDigest, 'failedRuns'>;
  /** The target held a change Ferry had not seen: this write leaves no stamp, so the reverse flow reads that change. */
  unstamped?: boolean;
}

export interface WriterContext {
  flow: Flow;
  target: OpenEntity;
  ledger: Ledger;
  runId: number;
  retryHooks: RetryHooks;
  /** Called before every call to the target; throws when the run must not write any more (its lease has lapsed). */
  beforeWrite(): void;
  /** Cross-reference key prefixes: `shopify/orders`, `quickbooks/invoices`. */
  sourceKeyPrefix: string;
  targetKeyPrefix: string;
}

/** How long settled results may wait in memory before they are committed together (group commit). */
const SETTLE_INTERVAL_MS = 250;

/**
 * How many rounds of batches are reserved ahead of sending. A crash leaves at most this much for the next
 * run to ask the target about (one question a write): a bulk read's page of 10,000 orders reserved at
 * once would leave thousands, and a next run killed as often would never finish asking.
 */
const RESERVED_ROUNDS = 8;

/**
 * Delivers one page of writes, a window at a time: reserves the window in one transaction, sends it in
 * the connector's batch size with up to its concurrency, and commits the outcomes in groups at most
 * SETTLE_INTERVAL_MS apart. A crash between sending and committing leaves the reservation, which becomes
 * `pending` rows that the next run settles by asking the target, so grouping commits costs no
 * correctness, only fsyncs.
 */
export async function deliver(writes: PlannedWrite[], ctx: WriterContext, onSettled: (s: Settlement[]) => void): Promise<void> {
  const size = ctx.target.entity.batchSize ?? 1;
  const window = size * Math.max(1, ctx.target.entity.concurrency ?? 1) * RESERVED_ROUNDS;
  for (let from = 0; from < writes.length; from += window) await deliverWindow(writes.slice(from, from + window), size, ctx, onSettled);
}

async function deliverWindow(writes: PlannedWrite[], size: number, ctx: WriterContext, onSettled: (s: Settlement[]) => void): Promise<void> {
  await ctx.ledger.markPending(ctx.runId, ctx.flow.name, writes.map((w) => w.pending));

  const batches: PlannedWrite[][] = [];
  for (let i = 0; i < writes.length; i += size) batches.push(writes.slice(i, i + size));

  let buffer: Settlement[] = [];
  let lastFlush = performance.now();
  const flush = async () => {
    if (!buffer.length) return;
    const settled = buffer;
    buffer = [];
    lastFlush = performance.now();
    await ctx.ledger.settle(ctx.runId, ctx.flow.name, settled);
    onSettled(settled);
  };

  let next = 0;
  let authFailure: AuthError | undefined;
  const worker = async () => {
    while (next < batches.length && !authFailure) {
      const batch = batches[next++]!;
      const results = await writeWithRetry(batch.map((w) => w.item), ctx);
      // The target has accepted these writes and the ledger does not know yet: the moment a crash hurts most.
      failpoint('after-target-write');
      buffer.push(...batch.map((w, i) => settlementFor(w, results[i]!, ctx)));
      const auth = results.find((r) => !r.result.ok && r.result.error instanceof AuthError);
      if (auth && !auth.result.ok) authFailure = auth.result.error as AuthError;
      if (performance.now() - lastFlush >= SETTLE_INTERVAL_MS) await flush();
    }
  };
  const concurrency = Math.max(1, ctx.target.entity.concurrency ?? 1);
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  await flush();
  // Batches not sent because credentials failed stay pending; the next run settles or resends them.
  if (authFailure) throw authFailure;
}

interface Attempted {
  result: WriteResult;
  attempts: number;
}

async function writeWithRetry(items: WriteItem[], ctx: WriterContext): Promise<Attempted[]> {
  const write = ctx.target.entity.write!;
  // Each call a connector repeats on its own is a write too: the lease is checked before every attempt.
  const request = { retry: <T>(task: () => Promise<T>) => withRetry(() => (ctx.beforeWrite(), task()), ctx.flow.retry, ctx.retryHooks), beforeWrite: ctx.beforeWrite };
  const final = new Map<number, Attempted>();
  const attempts = new Map<number, number>();
  let remaining = items.map((_, i) => i);
  let lastErrors = new Map<number, FerryError>();

  try {
    await withRetry(
      async () => {
        ctx.beforeWrite();
        remaining.forEach((i) => attempts.set(i, (attempts.get(i) ?? 0) + 1));
        let results: WriteResult[];
        try {
          results = await write(ctx.target.client, remaining.map((i) => (attempts.get(i)! > 1 ? { ...items[i]!, retry: true } : items[i]!)), request);
        } catch (error) {
          const failure = toFerryError(error);
          lastErrors = new Map(remaining.map((i) => [i, failure]));
          throw failure;
        }
        if (results.length !== remaining.length) {
          throw new PermanentError(`connector bug: ${results.length} results for ${remaining.length} items`);
        }
        const retry: number[] = [];
        lastErrors = new Map();
        let longestWait = 0;
        results.forEach((result, k) => {
          const index = remaining[k]!;
          if (!result.ok && result.error instanceof TransientError) {
            retry.push(index);
            lastErrors.set(index, result.error);
            longestWait = Math.max(longestWait, result.error.retryAfterMs ?? 0);
          } else {
            final.set(index, { result, attempts: attempts.get(index)! });
          }
        });
        remaining = retry;
        if (retry.length) {
          throw new TransientError(`${retry.length} of ${results.length} writes failed transiently`, { retryAfterMs: longestWait || undefined });
        }
      },
      ctx.flow.retry,
      ctx.retryHooks,
    );
  } catch (error) {
    if (error instanceof StaleLockError) throw error;
    // Whatever is still unsettled gets the last error it saw (or the one that stopped the loop).
    const stop = toFerryError(error);
    for (const i of remaining) final.set(i, { result: { ok: false, error: lastErrors.get(i) ?? stop }, attempts: attempts.get(i) ?? 0 });
  }
  return items.map((_, i) => final.get(i) ?? { result: { ok: false, error: new TransientError('write was not attempted') }, attempts: 0 });
}

function settlementFor(write: PlannedWrite, attempted: Attempted, ctx: WriterContext): Settlement {
  const { pending } = write;
  const { result } = attempted;
  // Each branch spells its fields out: spreading a shared base here cost more than the rest of the settlement.
  if (result.ok) {
    return {
      sourceId: pending.sourceId,
      status: 'synced',
      sourceHash: pending.sourceHash,
      flowVersion: pending.flowVersion,
      sourceUpdatedAt: pending.sourceUpdatedAt,
      attempts: attempted.attempts,
      action: result.action,
      targetId: result.targetId,
      outputHash: pending.outputHash,
      crossReference: { from: `${ctx.sourceKeyPrefix}/${pending.sourceId}`, to: `${ctx.targetKeyPrefix}/${result.targetId}` },
      targetVersion: write.unstamped ? undefined : result.version,
      // Two-way flows remember what they said, to tell next time which shared fields changed on their side.
      payload: ctx.flow.source.reverseFlows.length ? pending.payload : undefined,
      references: pending.references,
    };
  }
  // Transient failures (and a revoked token) get more runs before they are dead-lettered.
  const retryable = result.error.kind === 'transient' || result.error.kind === 'auth';
  const exhausted = (write.previous?.failedRuns ?? 0) + 1 > ctx.flow.onFailure.retryRuns;
  return {
    sourceId: pending.sourceId,
    status: retryable && !exhausted ? 'failed' : 'dead',
    sourceHash: pending.sourceHash,
    flowVersion: pending.flowVersion,
    sourceUpdatedAt: pending.sourceUpdatedAt,
    attempts: attempted.attempts,
    error: recordError(result.error),
    source: pending.source,
    payload: pending.payload,
    matchValue: pending.matchValue,
  };
}
