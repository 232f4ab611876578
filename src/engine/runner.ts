/**
 * One run of one flow, as stages:
 *   lock (run-lease) → settle writes a crash left pending (settle-pending)
 *   → select records (selections: incremental from the cursor, a range, chosen ids, an edited payload)
 *   → per page: decide (decide: diff, map, validate) → merge with the other side (two-way)
 *     → deliver (writer: reserve, write, settle) → checkpoint the cursor (selections)
 *   → record the run's outcome → unlock.
 * This file only runs that loop. Memory stays flat: one page is in hand at a time.
 */
import type { JsonObject } from '../connector/types.js';
import { PermanentError, toFerryError } from '../errors.js';
import type { Flow } from '../flow/types.js';
import type { RunStatus, Settlement } from '../ledger/ledger.js';
import { flowBindings } from './bindings.js';
import { type DecideContext, type Decision, decide, recordError, sourceIdOf } from './decide.js';
import { reportDryRun } from './dry-run.js';
import { contentHash } from './hash.js';
import { newLockOwner } from './lock-owner.js';
import { type RetryHooks, withRetry } from './retry.js';
import type { RunnerDeps, RunOptions, RunResult, RunSelection } from './run-options.js';
import { deadSettlement, type RunContext, RunTally } from './run-context.js';
import { RunLease } from './run-lease.js';
import { readIncremental, readRange, readRecords, retryFromLedger, sendEdited } from './selections.js';
import { settlePending } from './settle-pending.js';
import { keepNewerTargetValues, ownWritesAmong } from './two-way.js';
import { deliver, type PlannedWrite } from './writer.js';

export { FlowBusyError } from './run-lease.js';
export type { DryRunLine } from './dry-run.js';
export type { RunnerDeps, RunOptions, RunResult, RunSelection } from './run-options.js';

export const DEFAULT_LEASE_MS = 60_000;
const defaultOwner = newLockOwner();

export async function runFlow(flow: Flow, deps: RunnerDeps, options: RunOptions): Promise<RunResult> {
  return new FlowRun(flow, deps, options).execute();
}

class FlowRun {
  private readonly tally = new RunTally();
  /** Records retried from the ledger in this run, so reading them again from the source does not count them twice. */
  private readonly retried = new Map<string, string>();
  private readonly now: () => Date;
  private readonly selection: RunSelection;
  private readonly dryRun: boolean;
  private lease?: RunLease;
  private ctx!: RunContext;
  private decideContext!: DecideContext;

  constructor(
    private readonly flow: Flow,
    private readonly deps: RunnerDeps,
    private readonly options: RunOptions,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.selection = options.selection ?? { kind: 'incremental' };
    this.dryRun = options.dryRun === true;
  }

  async execute(): Promise<RunResult> {
    const { flow, deps, tally } = this;
    if (!this.dryRun) this.lease = await RunLease.take(flow.name, deps.owner ?? defaultOwner, deps.leaseMs ?? DEFAULT_LEASE_MS, { ledger: deps.ledger, logger: deps.logger, now: this.now });
    try {
      const runId = this.dryRun ? 0 : await deps.ledger.startRun(flow.name, this.options.trigger, this.lease?.lease);
      deps.logger.info(`run started`, { flow: flow.name, run: runId, trigger: this.options.trigger, dryRun: this.dryRun });
      let status: RunStatus;
      try {
        await this.prepare(runId);
        await this.work();
        if (this.options.signal?.aborted) tally.notes.push('stopped early by shutdown');
        status = tally.troubled || this.options.signal?.aborted ? 'partial' : 'succeeded';
      } catch (error) {
        status = 'failed';
        tally.notes.push(toFerryError(error).message);
        deps.logger.error(`run failed`, { flow: flow.name, run: runId, error: toFerryError(error).message });
      }
      const message = tally.notes.length ? tally.notes.join('; ') : undefined;
      if (!this.dryRun) await deps.ledger.finishRun(runId, status, tally.counts, message);
      deps.logger.info(`run ended`, { flow: flow.name, run: runId, status, ...tally.counts });
      return { flow: flow.name, runId: this.dryRun ? undefined : runId, status, counts: { ...tally.counts }, message };
    } finally {
      await this.lease?.release();
    }
  }

  private async prepare(runId: number): Promise<void> {
    const { flow, deps, options } = this;
    const source = await deps.connections.entity(flow.source.connector, flow.source.connection, flow.source.entity);
    const target = await deps.connections.entity(flow.target.connector, flow.target.connection, flow.target.entity);
    if (!target.entity.write) throw new PermanentError(`${flow.target.connector}/${flow.target.entity} cannot be written`);
    const hooks: RetryHooks = {
      ...deps.retryHooks,
      signal: options.signal,
      onRetry: (error, attempt, delayMs) => {
        options.onWait?.({ flow: flow.name, what: `retry ${attempt} of ${flow.retry.attempts - 1} after ${error.status ?? error.code ?? error.message}`, ms: delayMs });
        deps.logger.warn(`retrying after transient error`, { flow: flow.name, attempt, delayMs, status: error.status, error: error.message });
        deps.retryHooks?.onRetry?.(error, attempt, delayMs);
      },
    };
    const retry = <T>(task: (attempt: number) => Promise<T>) => withRetry(task, flow.retry, hooks);
    const lookups = new Set<string>();
    this.decideContext = {
      flow,
      lookups,
      source: source.entity,
      target: target.entity,
      bindings: flowBindings(deps.ledger, target, retry, lookups),
      force: this.selection.kind === 'records' ? this.selection.force !== false : this.selection.kind !== 'incremental',
      now: this.now,
    };
    this.ctx = {
      flow,
      ledger: deps.ledger,
      logger: deps.logger,
      options,
      runId,
      dryRun: this.dryRun,
      source,
      target,
      tally: this.tally,
      retry,
      readRequest: (since) => ({ since, params: flow.source.params, signal: options.signal, retry }),
      process: (records, how) => this.process(records, how?.retrying === true),
      writer: {
        flow,
        target,
        ledger: deps.ledger,
        runId,
        retryHooks: hooks,
        beforeWrite: () => this.lease?.assert(),
        sourceKeyPrefix: `${flow.source.connector}/${flow.source.entity}`,
        targetKeyPrefix: `${flow.target.connector}/${flow.target.entity}`,
      },
    };
  }

  private async work(): Promise<void> {
    const { ctx, selection } = this;
    if (!this.dryRun) await settlePending(ctx);
    switch (selection.kind) {
      case 'incremental':
        if (!this.dryRun) await retryFromLedger(ctx);
        return readIncremental(ctx, selection.full === true);
      case 'records':
        return readRecords(ctx, selection.ids);
      case 'failed': {
        const failed = await ctx.ledger.listRecords(this.flow.name, { statuses: ['failed', 'dead'] });
        return readRecords(ctx, failed.map((r) => r.sourceId), failed);
      }
      case 'since':
        return readRange(ctx, selection.since, selection.until);
      case 'edited':
        return sendEdited(ctx, selection.edit, (record) => Promise.resolve(this.flow.target.match!.value.evaluate(record, this.decideContext.bindings)));
    }
  }

  /** One page: decide each record, settle what needs no write, merge two-way writes, deliver the rest. */
  private async process(records: JsonObject[], retrying: boolean): Promise<void> {
    // A page read, decided and written without network waits (an in-process source, a run of unchanged
    // records) never leaves the microtask queue, so timers would not fire until the run ended: the lock's
    // renewal among them, and the run would lose its lease mid-way. Each page lets the event loop turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const { ctx, flow, tally } = this;
    const identified: { id: string; record: JsonObject }[] = [];
    const settlements: Settlement[] = [];
    for (const record of records) {
      try {
        identified.push({ id: sourceIdOf(record, ctx.source.entity), record });
      } catch (error) {
        settlements.push(deadSettlement(flow, `no-id-${contentHash(record)}`, (error as Error).message, record));
      }
    }
    const unidentified = settlements.length;
    tally.counts.read += unidentified;
    // The last copy of a record in a page is the newest.
    const latest = new Map(identified.map((r) => [r.id, r.record]));
    const states = await ctx.ledger.getDigests(flow.name, [...latest.keys()]);
    const echoes = await ownWritesAmong(ctx, latest);
    const touches: { sourceId: string; sourceHash: string; flowVersion: string }[] = [];
    const writes: PlannedWrite[] = [];
    for (const [id, record] of latest) {
      const hash = contentHash(record);
      if (retrying) this.retried.set(id, hash);
      else if (this.retried.get(id) === hash) continue;
      tally.counts.read++;
      if (tally.unsettled.has(id)) continue;
      const state = states.get(id);
      if (echoes.has(id)) {
        // The reverse flow's own write read back: sending it back would start a ping-pong.
        tally.counts.unchanged++;
        if (state) touches.push({ sourceId: id, sourceHash: hash, flowVersion: flow.version });
        continue;
      }
      let decision: Decision;
      try {
        decision = await decide(record, id, hash, state, this.decideContext);
      } catch (error) {
        decision = { kind: 'settle', settlement: { ...deadSettlement(flow, id, '', record), error: recordError(error) } };
      }
      if (this.dryRun) await reportDryRun(ctx, id, decision, state, record);
      else if (decision.kind === 'unchanged') {
        tally.counts.unchanged++;
        if (decision.touch) touches.push({ sourceId: id, sourceHash: hash, flowVersion: flow.version });
      } else if (decision.kind === 'settle') settlements.push(decision.settlement);
      else if (decision.kind === 'write') writes.push({ item: decision.item, pending: decision.pending, previous: state });
      // 'still': already held, dead or skipped, and unchanged: read, but not counted again (a reviewer
      // sees each dead record once, not once per run).
    }
    if (this.dryRun) return;
    await ctx.ledger.settle(ctx.runId, flow.name, settlements);
    tally.count(settlements);
    await ctx.ledger.touchUnchanged(flow.name, touches);
    await keepNewerTargetValues(ctx, writes);
    await deliver(writes, ctx.writer, (settled) => tally.count(settled));
    tally.processed += latest.size + unidentified;
    this.options.onProgress?.({ flow: flow.name, processed: tally.processed, total: tally.total, counts: { ...tally.counts } });
  }
}
