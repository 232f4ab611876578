/**
 * One run of one flow:
 *   lock → settle pending writes left by a crash → retry waiting and failed records
 *   → read the source from the cursor (minus the overlap window), page by page:
 *       decide (diff, map, validate) → record non-writes → deliver writes in batches → save the cursor
 *   → record the run's outcome → unlock.
 * Memory stays flat: one page is in hand at a time.
 */
import type { JsonObject, ReadRequest, WriteItem } from '../connector/types.js';
import { PermanentError, StaleLockError, toFerryError } from '../errors.js';
import type { Flow } from '../flow/types.js';
import { emptyCounts, type Lease, type Ledger, type RecordDigest, type RecordError, type RecordState, type RunCounts, type RunStatus, type RunTrigger, type Settlement } from '../ledger/ledger.js';
import type { Logger } from '../log.js';
import { creditCheck } from '../mapping/credit.js';
import { ferryFunctions } from '../mapping/functions.js';
import type { Connections, OpenEntity } from './connections.js';
import { type DecideContext, type Decision, decide, recordError, sourceIdOf, writeMatch } from './decide.js';
import { type PayloadEdit, plannedEdit } from './edited-write.js';
import { contentHash, textHash } from './hash.js';
import { isAbandoned, newLockOwner } from './lock-owner.js';
import { type RetryHooks, withRetry } from './retry.js';
import { deliver, type PlannedWrite, type WriterContext } from './writer.js';

export interface RunnerDeps {
  ledger: Ledger;
  connections: Connections;
  logger: Logger;
  now?: () => Date;
  retryHooks?: Omit<RetryHooks, 'signal'>;
  /** Identifies this process in run locks. */
  owner?: string;
  /** How long a run's lock lasts unless renewed (config `lock_lease`); renewed every third of it. */
  leaseMs?: number;
}

export type RunSelection =
  | { kind: 'incremental'; full?: boolean }
  /** `force: false` (webhooks) skips records whose output is unchanged, as an incremental run does. */
  | { kind: 'records'; ids: string[]; force?: boolean }
  | { kind: 'failed' }
  | { kind: 'since'; since: Date; until?: Date }
  /** One record sent with the payload a person wrote instead of the mapped one. */
  | { kind: 'edited'; edit: PayloadEdit };

export interface RunOptions {
  trigger: RunTrigger;
  selection?: RunSelection;
  dryRun?: boolean;
  /** Stops the run after the batch in flight (graceful shutdown). */
  signal?: AbortSignal;
  /** After each page: records processed so far, and `total` when the source or the selection knows how many there are. */
  onProgress?(progress: { flow: string; processed: number; total?: number; counts: RunCounts }): void;
  /** Before the run waits to try again: what it waits for ("retry 2 of 4 after 503") and how long. */
  onWait?(wait: { flow: string; what: string; ms: number }): void;
  onDryRun?(line: DryRunLine): void;
  /** With `dryRun`: each line carries the source fields read, the payload, and an update's changes. */
  show?: boolean;
}

export interface DryRunLine {
  flow: string;
  sourceId: string;
  action: 'create' | 'update' | 'unchanged' | 'waiting' | 'hold' | 'skip' | 'reject';
  targetId?: string;
  reason?: string;
  /** With `show`: the source fields the mapping reads, with this record's values. */
  source?: JsonObject;
  /** With `show`: what would be sent to the target. */
  payload?: JsonObject;
  /** With `show`, for an update whose target record can be read: each field that would change. */
  changes?: Record<string, { from: unknown; to: unknown }>;
}

export interface RunResult {
  flow: string;
  runId?: number;
  status: RunStatus;
  counts: RunCounts;
  message?: string;
}

export class FlowBusyError extends Error {
  constructor(flow: string) {
    super(`flow '${flow}' is already running in another process; try again when it has finished`);
    this.name = 'FlowBusyError';
  }
}

export const DEFAULT_LEASE_MS = 60_000;
const defaultOwner = newLockOwner();

export async function runFlow(flow: Flow, deps: RunnerDeps, options: RunOptions): Promise<RunResult> {
  const run = new FlowRun(flow, deps, options);
  return run.execute();
}

class FlowRun {
  private readonly counts = emptyCounts();
  private readonly notes: string[] = [];
  /** Records retried from the ledger in this run, so reading them again from the source does not count them twice. */
  private readonly retried = new Map<string, string>();
  /** Records whose interrupted write could not be settled in this run: nobody knows yet whether it arrived, so they are not written. */
  private readonly unsettled = new Set<string>();
  private retrying = false;
  private readonly now: () => Date;
  private readonly owner: string;
  private readonly selection: RunSelection;
  private runId = 0;
  private renewal?: NodeJS.Timeout;
  /** Until when (this run's clock) its lease is sure to be its own. */
  private leaseUntil = 0;
  private leaseLost = false;
  private processed = 0;
  /** How many records the run will process, when the source or the selection says. */
  private total: number | undefined;
  /** The oldest source time among records this run left `failed`: the cursor stops there. */
  private earliestFailed: string | undefined;
  private source!: OpenEntity;
  private target!: OpenEntity;
  private decideContext!: DecideContext;
  private writerContext!: WriterContext;

  constructor(
    private readonly flow: Flow,
    private readonly deps: RunnerDeps,
    private readonly options: RunOptions,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.owner = deps.owner ?? defaultOwner;
    this.selection = options.selection ?? { kind: 'incremental' };
  }

  private get ledger(): Ledger {
    return this.deps.ledger;
  }

  private get dryRun(): boolean {
    return this.options.dryRun === true;
  }

  async execute(): Promise<RunResult> {
    const lease = this.dryRun ? undefined : await this.takeLock();
    try {
      if (!this.dryRun) this.runId = await this.ledger.startRun(this.flow.name, this.options.trigger, lease);
      this.deps.logger.info(`run started`, { flow: this.flow.name, run: this.runId, trigger: this.options.trigger, dryRun: this.dryRun });
      let status: RunStatus;
      let message: string | undefined;
      try {
        await this.prepare();
        await this.work();
        const troubled = this.counts.failed + this.counts.dead + this.counts.held + this.counts.waiting + this.unsettled.size > 0;
        if (this.options.signal?.aborted) this.notes.push('stopped early by shutdown');
        status = troubled || this.options.signal?.aborted ? 'partial' : 'succeeded';
      } catch (error) {
        status = 'failed';
        this.notes.push(toFerryError(error).message);
        this.deps.logger.error(`run failed`, { flow: this.flow.name, run: this.runId, error: toFerryError(error).message });
      }
      message = this.notes.length ? this.notes.join('; ') : undefined;
      if (!this.dryRun) await this.ledger.finishRun(this.runId, status, this.counts, message);
      this.deps.logger.info(`run ended`, { flow: this.flow.name, run: this.runId, status, ...this.counts });
      return { flow: this.flow.name, runId: this.dryRun ? undefined : this.runId, status, counts: { ...this.counts }, message };
    } finally {
      if (this.renewal) clearInterval(this.renewal);
      if (lease) await this.ledger.releaseLock(lease.lock, this.owner);
    }
  }

  /**
   * The flow's lock, as a fenced lease renewed every third of its length. The ledger refuses this run's
   * writes once the lock has passed to another holder; and before each call to the target the run checks
   * that its lease, as last renewed, has not run out, so a process paused past its lease (SIGSTOP, a
   * suspended VM) sends nothing when it wakes, even before the ledger has been asked.
   */
  private async takeLock(): Promise<Lease> {
    const lock = `flow:${this.flow.name}`;
    const leaseMs = this.deps.leaseMs ?? DEFAULT_LEASE_MS;
    const renewedAt = this.now().getTime();
    const fence = await this.ledger.acquireLock(lock, this.owner, leaseMs, isAbandoned);
    if (fence === undefined) throw new FlowBusyError(this.flow.name);
    // Another host judges expiry by its own clock: the lease counts as over a sixth before it ends.
    const usable = (leaseMs * 5) / 6;
    this.leaseUntil = renewedAt + usable;
    this.renewal = setInterval(() => {
      const at = this.now().getTime();
      void this.ledger.renewLock(lock, this.owner, fence, leaseMs).then(
        (renewed) => {
          if (renewed) this.leaseUntil = at + usable;
          else this.leaseLost = true;
        },
        (error: unknown) => this.deps.logger.warn(`could not renew the run's lock`, { flow: this.flow.name, error: (error as Error).message }),
      );
    }, leaseMs / 3);
    this.renewal.unref();
    return { lock, fence };
  }

  /** Before each call that writes to the target: a run whose lease has lapsed or passed on writes nothing. */
  private assertLease(): void {
    if (this.dryRun) return;
    if (this.leaseLost || this.now().getTime() > this.leaseUntil) {
      this.leaseLost = true;
      throw new StaleLockError(this.flow.name);
    }
  }

  private async prepare(): Promise<void> {
    const { flow, deps } = this;
    this.source = await deps.connections.entity(flow.source.connector, flow.source.connection, flow.source.entity);
    this.target = await deps.connections.entity(flow.target.connector, flow.target.connection, flow.target.entity);
    if (!this.target.entity.write) throw new PermanentError(`${flow.target.connector}/${flow.target.entity} cannot be written`);
    const ledger = this.ledger;
    const lookups = new Set<string>();
    this.decideContext = {
      flow,
      lookups,
      source: this.source.entity,
      target: this.target.entity,
      bindings: {
        ...ferryFunctions({
          target: (parentFlow, sourceId) => {
            lookups.add(`flow:${parentFlow}:${sourceId}`);
            return ledger.findTarget(parentFlow, sourceId);
          },
          source: (otherFlow, targetId) => ledger.findSource(otherFlow, targetId),
        }),
        ref: this.namedReferences(),
        creditExceeded: creditCheck(async (id) => {
          const customers = Object.values(this.target.connector.entities).find((e) => e.creditOf && e.get);
          if (!customers) throw new PermanentError(`$creditExceeded: ${flow.target.connector} keeps no customer credit limits`);
          const [customer] = await withRetry(() => customers.get!(this.target.client, [id]), flow.retry, this.retryHooks());
          return customer && customers.creditOf!(customer);
        }),
      },
      force: this.selection.kind === 'records' ? this.selection.force !== false : this.selection.kind !== 'incremental',
      now: this.now,
    };
    this.writerContext = {
      flow,
      target: this.target,
      ledger,
      runId: this.runId,
      retryHooks: this.retryHooks(),
      beforeWrite: () => this.assertLease(),
      sourceKeyPrefix: `${flow.source.connector}/${flow.source.entity}`,
      targetKeyPrefix: `${flow.target.connector}/${flow.target.entity}`,
    };
  }

  /**
   * `$ref('Term', 'Net 30')`: the id of a record the target keeps by name (a QuickBooks term, account,
   * payment method), asked once per run, so a flow fits any company instead of carrying one's ids.
   */
  private namedReferences(): (type: unknown, name: unknown) => Promise<string> {
    const { connector, client } = this.target;
    const found = new Map<string, Promise<string>>();
    return (type, name) => {
      const key = `${String(type)}\u0000${String(name)}`;
      let id = found.get(key);
      if (!id) {
        id = (async () => {
          if (!connector.reference) throw new PermanentError(`$ref: ${connector.name} keeps nothing by name`, { code: 'reference' });
          const answer = await withRetry(() => connector.reference!(client, String(type), String(name)), this.flow.retry, this.retryHooks());
          if (answer === undefined) throw new PermanentError(`$ref: ${connector.name} has no ${String(type)} named '${String(name)}' (check the name in its settings, or the flow)`, { code: 'reference' });
          return answer;
        })();
        // A failure is not kept: the next record asks again (a busy service, or a record created meanwhile).
        id.catch(() => found.delete(key));
        found.set(key, id);
      }
      return id;
    };
  }

  private readRequest(since: Date | undefined): ReadRequest {
    return { since, params: this.flow.source.params, signal: this.options.signal, retry: (task) => withRetry(task, this.flow.retry, this.retryHooks()) };
  }

  /** The flow's retry loop, logged, honouring the run's stop signal. */
  private retryHooks(): RetryHooks {
    const { deps, flow } = this;
    return {
      ...deps.retryHooks,
      signal: this.options.signal,
      onRetry: (error, attempt, delayMs) => {
        this.options.onWait?.({ flow: flow.name, what: `retry ${attempt} of ${flow.retry.attempts - 1} after ${error.status ?? error.code ?? error.message}`, ms: delayMs });
        deps.logger.warn(`retrying after transient error`, { flow: flow.name, attempt, delayMs, status: error.status, error: error.message });
        deps.retryHooks?.onRetry?.(error, attempt, delayMs);
      },
    };
  }

  private async work(): Promise<void> {
    const selection = this.selection;
    if (!this.dryRun) await this.settlePending();
    switch (selection.kind) {
      case 'incremental':
        if (!this.dryRun) await this.retryFromLedger();
        await this.readSource(selection.full === true);
        return;
      case 'records':
        return this.resyncRecords(selection.ids);
      case 'failed': {
        const failed = await this.ledger.listRecords(this.flow.name, { statuses: ['failed', 'dead'] });
        return this.resyncRecords(failed.map((r) => r.sourceId), failed);
      }
      case 'since':
        return this.readRange(selection.since, selection.until);
      case 'edited':
        return this.sendEdited(selection.edit);
    }
  }

  private async sendEdited(edit: PayloadEdit): Promise<void> {
    const { flow } = this;
    const [state] = await this.ledger.getRecords(flow.name, [edit.sourceId]);
    if (!state) throw new PermanentError(`flow '${flow.name}' has no record '${edit.sourceId}' in the ledger`);
    // A record that failed before its match was worked out (a refused mapping) is matched now, from its stored source.
    const matchValue = state.matchValue ?? (flow.target.match && state.source ? await flow.target.match.value.evaluate(state.source, this.decideContext.bindings) : undefined);
    const planned = plannedEdit(flow, state, edit, matchValue, this.target.entity.schema);
    if (this.dryRun) return;
    await this.ledger.recordDecision(flow.name, edit.sourceId, edit.kind, { by: edit.by, ...edit.detail, original: state.payload ?? null, edited: edit.payload });
    this.counts.read++;
    await this.deliverAll([planned]);
  }

  /**
   * A crash between calling the target and recording the answer leaves `pending` rows: ask the target
   * what happened, each question under the flow's retry policy. A write whose fate still cannot be
   * learnt stays pending with the reason, is not written again in this run, and holds the cursor; the
   * rest of the run goes on.
   */
  private async settlePending(): Promise<void> {
    const pending = await this.ledger.listRecords(this.flow.name, { statuses: ['pending'] });
    if (!pending.length) return;
    this.deps.logger.warn(`settling writes interrupted by an earlier crash`, { flow: this.flow.name, count: pending.length });
    const found: Settlement[] = [];
    const rewrite: PlannedWrite[] = [];
    const broken: Settlement[] = [];
    const unknown: { sourceId: string; error: RecordError }[] = [];
    const find = this.target.entity.find;
    for (const state of pending) {
      const planned = plannedFromState(state, this.flow);
      if (!planned) {
        broken.push(this.deadSettlement(state.sourceId, 'an interrupted write could not be settled: its ledger row is incomplete; resync the record', state.source));
        continue;
      }
      let existing: string | undefined;
      try {
        existing = find ? await withRetry(() => find(this.target.client, planned.item), this.flow.retry, this.retryHooks()) : undefined;
      } catch (error) {
        const failure = recordError(error);
        if (failure.class === 'permanent') {
          broken.push({ ...this.deadSettlement(state.sourceId, '', state.source), error: { ...failure, message: `could not learn whether an interrupted write arrived: ${failure.message}` } });
        } else {
          unknown.push({ sourceId: state.sourceId, error: failure });
          this.unsettled.add(state.sourceId);
          this.holdCursorAt(state.sourceUpdatedAt);
        }
        continue;
      }
      if (existing) {
        found.push({
          sourceId: state.sourceId,
          status: 'synced',
          action: state.targetId ? 'updated' : 'created',
          targetId: existing,
          sourceHash: planned.pending.sourceHash,
          outputHash: planned.pending.outputHash,
          flowVersion: planned.pending.flowVersion,
          crossReference: { from: `${this.writerContext.sourceKeyPrefix}/${state.sourceId}`, to: `${this.writerContext.targetKeyPrefix}/${existing}` },
        });
      } else {
        // Not there (or no way to look): write again with the same idempotency key.
        rewrite.push(planned);
      }
    }
    await this.ledger.settle(this.runId, this.flow.name, [...found, ...broken]);
    await this.ledger.notePending(this.runId, this.flow.name, unknown);
    if (unknown.length) {
      this.notes.push(`${unknown.length} interrupted write${unknown.length === 1 ? '' : 's'} could not be settled (${unknown[0]!.error.message}); left pending for the next run to ask again`);
    }
    this.count(found);
    this.count(broken);
    await this.deliverAll(rewrite);
  }

  /** Records waiting for a parent, and transient failures with runs left, are retried from their stored source. */
  private async retryFromLedger(): Promise<void> {
    const states = await this.ledger.listRecords(this.flow.name, { statuses: ['waiting', 'failed'] });
    const records = states.filter((s) => s.source).map((s) => s.source!);
    this.retrying = true;
    for (let i = 0; i < records.length; i += 500) await this.processRecords(records.slice(i, i + 500));
    this.retrying = false;
  }

  private async readSource(full: boolean): Promise<void> {
    const { flow } = this;
    const read = this.source.entity.read;
    if (!read) throw new PermanentError(`${flow.source.connector}/${flow.source.entity} cannot be read`);
    const storedVersion = this.dryRun ? flow.version : await this.ledger.getFlowVersion(flow.name);
    const versionChanged = storedVersion !== undefined && storedVersion !== flow.version;
    if (versionChanged) this.notes.push('flow changed since the last run: every record re-evaluated');
    const cursor = full || versionChanged ? undefined : await this.ledger.getCursor(flow.name);
    const since = cursor ? new Date(Date.parse(cursor) - flow.source.overlapMs) : undefined;

    let highWater = cursor;
    const ordered = this.source.entity.orderedByUpdatedAt === true;
    // A page that cannot be fetched (429, 5xx, timeout) is retried with the flow's policy by reading again
    // from where the run got to: the last saved high-water mark when pages come in time order, else the start.
    await withRetry(async () => {
      const from = ordered && highWater && highWater !== cursor ? new Date(Date.parse(highWater) - flow.source.overlapMs) : since;
      for await (const page of read(this.source.client, this.readRequest(from))) {
        if (page.fullReadReason && !this.notes.includes(page.fullReadReason)) this.notes.push(page.fullReadReason);
        if (page.total !== undefined) this.total ??= this.processed + page.total;
        await this.processRecords(page.records);
        highWater = laterOf(highWater, page.records.map((r) => this.source.entity.updatedAt?.(r)));
        if (ordered && highWater && !this.dryRun) await this.ledger.saveCursor(flow.name, this.checkpoint(highWater), this.runId);
        if (this.options.signal?.aborted) return;
      }
    }, flow.retry, this.retryHooks());
    if (this.dryRun || this.options.signal?.aborted) return;
    if (highWater) await this.ledger.saveCursor(flow.name, this.checkpoint(highWater), this.runId);
    if (storedVersion !== flow.version) await this.ledger.saveFlowVersion(flow.name, flow.version);
  }

  private async readRange(since: Date, until?: Date): Promise<void> {
    const read = this.source.entity.read;
    if (!read) throw new PermanentError(`${this.flow.source.connector}/${this.flow.source.entity} cannot be read`);
    const inRange = (record: JsonObject) => {
      const at = this.source.entity.updatedAt?.(record);
      return !until || !at || Date.parse(at) < until.getTime();
    };
    // Retried from the start: a resync range is read again whole, and unchanged records cost nothing.
    await withRetry(async () => {
      for await (const page of read(this.source.client, this.readRequest(since))) {
        await this.processRecords(page.records.filter(inRange));
        if (this.options.signal?.aborted) return;
      }
    }, this.flow.retry, this.retryHooks());
  }

  private async resyncRecords(ids: string[], known?: RecordState[]): Promise<void> {
    if (!ids.length) return;
    this.total = ids.length;
    const stored = new Map((known ?? (await this.ledger.getRecords(this.flow.name, ids))).map((s) => [s.sourceId, s]));
    const get = this.source.entity.get;
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const fetched = get ? await withRetry(() => get(this.source.client, chunk), this.flow.retry, this.retryHooks()) : [];
      const byId = new Map(fetched.map((r) => [sourceIdOf(r, this.source.entity), r]));
      const records: JsonObject[] = [];
      const missing: Settlement[] = [];
      for (const id of chunk) {
        const record = byId.get(id) ?? stored.get(id)?.source;
        if (record) records.push(record);
        else missing.push(this.deadSettlement(id, `record ${id} was not found in ${this.flow.source.connector}/${this.flow.source.entity}`));
      }
      await this.processRecords(records);
      if (missing.length && !this.dryRun) await this.ledger.settle(this.runId, this.flow.name, missing);
      this.count(missing);
    }
  }

  private async processRecords(records: JsonObject[]): Promise<void> {
    // A page read, decided and written without network waits (an in-process source, a run of unchanged
    // records) never leaves the microtask queue, so timers would not fire until the run ended: the lock's
    // renewal among them, and the run would lose its lease mid-way. Each page lets the event loop turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const identified: { id: string; record: JsonObject }[] = [];
    const unidentified: Settlement[] = [];
    for (const record of records) {
      try {
        identified.push({ id: sourceIdOf(record, this.source.entity), record });
      } catch (error) {
        unidentified.push(this.deadSettlement(`no-id-${contentHash(record)}`, (error as Error).message, record));
      }
    }
    // The last copy of a record in a page is the newest.
    const latest = new Map(identified.map((r) => [r.id, r.record]));
    const states = await this.ledger.getDigests(this.flow.name, [...latest.keys()]);
    const echoes = await this.ownWritesAmong(latest);

    const settlements: Settlement[] = [...unidentified];
    const touches: { sourceId: string; sourceHash: string; flowVersion: string }[] = [];
    const writes: PlannedWrite[] = [];
    for (const [id, record] of latest) {
      const hash = contentHash(record);
      if (this.retrying) this.retried.set(id, hash);
      else if (this.retried.get(id) === hash) continue;
      this.counts.read++;
      if (this.unsettled.has(id)) continue;
      const state = states.get(id);
      if (echoes.has(id)) {
        // The reverse flow's own write read back: sending it back would start a ping-pong.
        this.counts.unchanged++;
        if (state) touches.push({ sourceId: id, sourceHash: hash, flowVersion: this.flow.version });
        continue;
      }
      let decision: Decision;
      try {
        decision = await decide(record, id, hash, state, this.decideContext);
      } catch (error) {
        decision = { kind: 'settle', settlement: { ...this.deadSettlement(id, '', record), error: recordError(error) } };
      }
      if (this.dryRun) {
        await this.reportDryRun(id, decision, state, record);
        continue;
      }
      switch (decision.kind) {
        case 'unchanged':
          this.counts.unchanged++;
          if (decision.touch) touches.push({ sourceId: id, sourceHash: hash, flowVersion: this.flow.version });
          break;
        case 'still':
          // Already held, dead or skipped, and unchanged: nothing happens to it in this run, so it is
          // read but not counted again (a reviewer sees each dead record once, not once per run).
          break;
        case 'settle':
          settlements.push(decision.settlement);
          break;
        case 'write':
          writes.push({ item: decision.item, pending: decision.pending, previous: state });
          break;
      }
    }
    this.counts.read += unidentified.length;
    if (this.dryRun) return;
    await this.ledger.settle(this.runId, this.flow.name, settlements);
    this.count(settlements);
    await this.ledger.touchUnchanged(this.flow.name, touches);
    await this.keepNewerTargetValues(writes);
    await this.deliverAll(writes);
    this.processed += latest.size + unidentified.length;
    this.options.onProgress?.({ flow: this.flow.name, processed: this.processed, total: this.total, counts: { ...this.counts } });
  }

  /** Ids of records whose version is the one a reverse flow's write left on them (two-way flows only). */
  private async ownWritesAmong(records: Map<string, JsonObject>): Promise<Set<string>> {
    const version = this.source.entity.version;
    const reverse = this.flow.source.reverseFlows;
    if (!reverse.length || !version) return new Set();
    const prefix = this.writerContext.sourceKeyPrefix;
    const stamps = [...records].flatMap(([id, record]) => {
      const v = version(record);
      return v ? [{ key: `${prefix}/${id}`, version: v }] : [];
    });
    const own = await this.ledger.ownWrites(reverse, stamps);
    return new Set([...own].map((key) => key.slice(prefix.length + 1)));
  }

  /**
   * Two-way flows. A target record someone changed since this flow last wrote it holds news for the
   * reverse flow, so the write leaves no stamp and the reverse flow reads it as a change; so does a
   * first write, since what the target held before Ferry came is news too. Field by field over
   * `last_writer_wins`: a field this side has not changed since its last write is not sent (it would
   * undo the other side's change), and a field both sides changed keeps the target's value when the
   * target changed later.
   */
  private async keepNewerTargetValues(writes: PlannedWrite[]): Promise<void> {
    if (!this.flow.source.reverseFlows.length) return;
    const fields = this.flow.target.lastWriterWins;
    const { entity, client } = this.target;
    const known = writes.filter((w) => w.item.targetId);
    for (const write of writes) if (!write.item.targetId) write.unstamped = true;
    if (!known.length || !entity.get) return;
    const current = await withRetry(() => entity.get!(client, known.map((w) => w.item.targetId!)), this.flow.retry, this.retryHooks());
    const byId = new Map(current.map((record) => [entity.key(record), record]));
    const lastWritten = new Map((await this.ledger.getRecords(this.flow.name, known.map((w) => w.item.sourceId))).map((r) => [r.sourceId, r.payload]));
    for (const write of known) {
      const target = byId.get(write.item.targetId!);
      const last = lastWritten.get(write.item.sourceId);
      if (!target || !last) {
        write.unstamped = true;
        continue;
      }
      const stamp = await this.ledger.lastStamp(this.flow.name, `${this.writerContext.targetKeyPrefix}/${write.item.targetId}`);
      if (entity.version?.(target) !== stamp) write.unstamped = true;
      const targetLater = Date.parse(entity.updatedAt?.(target) ?? '') > Date.parse(write.pending.sourceUpdatedAt ?? '');
      const payload = { ...write.item.payload };
      for (const field of fields) {
        const mineChanged = !sameValue(payload[field], last[field]);
        const theirsChanged = !sameValue(target[field], last[field]);
        if (!mineChanged || (theirsChanged && targetLater)) delete payload[field];
      }
      write.item = { ...write.item, payload };
    }
  }

  private async deliverAll(writes: PlannedWrite[]): Promise<void> {
    await deliver(writes, this.writerContext, (settled) => this.count(settled));
  }

  /**
   * Where the next run starts reading: the high-water mark, but never past a record this run left
   * `failed` (neither synced nor dead-lettered), so the next run reads it again from the source.
   */
  private checkpoint(highWater: string): string {
    return this.earliestFailed && Date.parse(this.earliestFailed) < Date.parse(highWater) ? this.earliestFailed : highWater;
  }

  /** The next run must read this record's source again: the cursor stops at its time. */
  private holdCursorAt(sourceUpdatedAt: string | undefined): void {
    if (sourceUpdatedAt && (!this.earliestFailed || Date.parse(sourceUpdatedAt) < Date.parse(this.earliestFailed))) this.earliestFailed = sourceUpdatedAt;
  }

  private count(settlements: Settlement[]): void {
    for (const s of settlements) {
      if (s.status === 'failed') this.holdCursorAt(s.sourceUpdatedAt);
      if (s.status === 'synced') this.counts[s.action ?? 'updated']++;
      else this.counts[s.status]++;
    }
  }

  private deadSettlement(sourceId: string, message: string, record?: JsonObject): Settlement {
    return {
      sourceId,
      status: 'dead',
      sourceHash: record ? contentHash(record) : '',
      flowVersion: this.flow.version,
      source: record,
      error: { class: 'permanent', code: 'source', message },
    };
  }

  private async reportDryRun(sourceId: string, decision: Decision, state: RecordDigest | undefined, record: JsonObject): Promise<void> {
    const line = (action: DryRunLine['action'], extra: Partial<DryRunLine> = {}, counted = true) => {
      if (counted) this.counts[countKey(action)]++;
      this.options.onDryRun?.({ flow: this.flow.name, sourceId, action, ...extra });
    };
    switch (decision.kind) {
      case 'unchanged':
        return line('unchanged', { targetId: state?.targetId });
      case 'still':
        return line(decision.status === 'held' ? 'hold' : decision.status === 'skipped' ? 'skip' : 'reject', { reason: state?.errorMessage ?? state?.reason }, false);
      case 'settle': {
        const s = decision.settlement;
        const action = s.status === 'waiting' ? 'waiting' : s.status === 'held' ? 'hold' : s.status === 'skipped' ? 'skip' : 'reject';
        return line(action, { reason: s.error?.message ?? s.reason, ...(this.options.show ? await this.detail(record, s.payload) : {}) });
      }
      case 'write': {
        const existing = decision.item.targetId ?? (await this.findExisting(decision.item));
        return line(existing ? 'update' : 'create', { targetId: existing, ...(this.options.show ? await this.detail(record, decision.item.payload, existing) : {}) });
      }
    }
  }

  /** What `--show` adds to a dry-run line: the fields read, the payload, and for an update what would change. */
  private async detail(record: JsonObject, payload: JsonObject | undefined, targetId?: string): Promise<Partial<DryRunLine>> {
    const source: JsonObject = {};
    for (const path of this.flow.mapping.sourcePaths()) {
      const value = path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as JsonObject)[key] : undefined), record);
      if (value !== undefined) source[path] = value as JsonObject[string];
    }
    const get = this.target.entity.get;
    if (!payload || !targetId || !get) return { source, payload };
    const [current] = await withRetry(() => get(this.target.client, [targetId]), this.flow.retry, this.retryHooks());
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const [field, value] of Object.entries(payload)) if (!holds(current?.[field], value)) changes[field] = { from: current?.[field], to: value };
    return { source, payload, changes };
  }

  private async findExisting(item: WriteItem): Promise<string | undefined> {
    if (!item.match || !this.target.entity.find) return undefined;
    return this.target.entity.find(this.target.client, item);
  }
}

/** Whether a target value already says what a payload value says (the target may add fields, `CustomerRef.name`, and write 19.99 as "19.99"). */
function holds(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => holds(have[i], w));
  if (want && typeof want === 'object') return !!have && typeof have === 'object' && Object.entries(want).every(([k, w]) => holds((have as JsonObject)[k], w));
  return have !== undefined && have !== null && String(have) === String(want);
}

function countKey(action: DryRunLine['action']): keyof RunCounts {
  const keys: Record<DryRunLine['action'], keyof RunCounts> = {
    create: 'created',
    update: 'updated',
    unchanged: 'unchanged',
    waiting: 'waiting',
    hold: 'held',
    skip: 'skipped',
    reject: 'dead',
  };
  return keys[action];
}

function plannedFromState(state: RecordState, flow: Flow): PlannedWrite | undefined {
  if (!state.payload || !state.idempotencyKey || !state.sourceHash || !state.flowVersion) return undefined;
  const payloadJson = JSON.stringify(state.payload);
  return {
    item: {
      sourceId: state.sourceId,
      idempotencyKey: state.idempotencyKey,
      targetId: state.targetId,
      match: writeMatch(flow, state.matchValue),
      // A crash left this write unsettled: it may have reached the target.
      retry: true,
      payload: state.payload,
    },
    pending: {
      sourceId: state.sourceId,
      idempotencyKey: state.idempotencyKey,
      inLedger: true,
      sourceHash: state.sourceHash,
      outputHash: textHash(payloadJson),
      flowVersion: state.flowVersion,
      sourceUpdatedAt: state.sourceUpdatedAt,
      targetId: state.targetId,
      matchValue: state.matchValue,
      source: state.source ?? {},
      payload: state.payload,
      payloadJson,
    },
    previous: state,
  };
}

/** Field values compared as JSON, so `{ FreeFormNumber: '1' }` equals itself across reads. */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function laterOf(current: string | undefined, candidates: (string | undefined)[]): string | undefined {
  const currentMs = current ? Date.parse(current) : -Infinity;
  let bestMs = currentMs;
  for (const c of candidates) {
    if (!c) continue;
    const ms = Date.parse(c);
    if (ms > bestMs) bestMs = ms;
  }
  return bestMs > currentMs ? new Date(bestMs).toISOString() : current;
}
