/**
 * Where a run's records come from, one stage per selection: the source from the saved cursor
 * (incremental), a time range, chosen ids (resync, webhooks), the ledger's own retries, or one record
 * with a payload a person wrote. Each hands pages to the run's pipeline (`ctx.process`); the incremental
 * read also checkpoints the cursor as pages settle.
 */
import type { JsonObject } from '../connector/types.js';
import { PermanentError } from '../errors.js';
import type { RecordState, Settlement } from '../ledger/ledger.js';
import { sourceIdOf } from './decide.js';
import { type PayloadEdit, plannedEdit } from './edited-write.js';
import { deadSettlement, type RunContext } from './run-context.js';
import { deliver } from './writer.js';

function readerOf(ctx: RunContext) {
  const read = ctx.source.entity.read;
  if (!read) throw new PermanentError(`${ctx.flow.source.connector}/${ctx.flow.source.entity} cannot be read`);
  return read;
}

/**
 * From the saved cursor, minus the overlap window (the whole source with `full`, or when the flow
 * changed). A page that cannot be fetched (429, 5xx, timeout) is retried with the flow's policy by reading
 * again from where the run got to: the last saved high-water mark when pages come in time order, else the start.
 */
export async function readIncremental(ctx: RunContext, full: boolean): Promise<void> {
  const { flow, ledger, tally } = ctx;
  const read = readerOf(ctx);
  const storedVersion = ctx.dryRun ? flow.version : await ledger.getFlowVersion(flow.name);
  const versionChanged = storedVersion !== undefined && storedVersion !== flow.version;
  if (versionChanged) tally.notes.push('flow changed since the last run: every record re-evaluated');
  const cursor = full || versionChanged ? undefined : await ledger.getCursor(flow.name);
  const since = cursor ? new Date(Date.parse(cursor) - flow.source.overlapMs) : undefined;

  let highWater = cursor;
  const ordered = ctx.source.entity.orderedByUpdatedAt === true;
  await ctx.retry(async () => {
    const from = ordered && highWater && highWater !== cursor ? new Date(Date.parse(highWater) - flow.source.overlapMs) : since;
    for await (const page of read(ctx.source.client, ctx.readRequest(from))) {
      if (page.fullReadReason && !tally.notes.includes(page.fullReadReason)) tally.notes.push(page.fullReadReason);
      if (page.total !== undefined) tally.total ??= tally.processed + page.total;
      await ctx.process(page.records);
      highWater = laterOf(highWater, page.records.map((r) => ctx.source.entity.updatedAt?.(r)));
      if (ordered && highWater && !ctx.dryRun) await ledger.saveCursor(flow.name, tally.checkpoint(highWater), ctx.runId);
      if (ctx.options.signal?.aborted) return;
    }
  });
  if (ctx.dryRun || ctx.options.signal?.aborted) return;
  if (highWater) await ledger.saveCursor(flow.name, tally.checkpoint(highWater), ctx.runId);
  if (storedVersion !== flow.version) await ledger.saveFlowVersion(flow.name, flow.version);
}

/** Records updated in a time range (resync --since); read again whole on a retry, where unchanged records cost nothing. */
export async function readRange(ctx: RunContext, since: Date, until?: Date): Promise<void> {
  const read = readerOf(ctx);
  const inRange = (record: JsonObject) => {
    const at = ctx.source.entity.updatedAt?.(record);
    return !until || !at || Date.parse(at) < until.getTime();
  };
  await ctx.retry(async () => {
    for await (const page of read(ctx.source.client, ctx.readRequest(since))) {
      await ctx.process(page.records.filter(inRange));
      if (ctx.options.signal?.aborted) return;
    }
  });
}

/** Chosen records, re-read from the source (or taken from the ledger when the source cannot fetch by id). */
export async function readRecords(ctx: RunContext, ids: string[], known?: RecordState[]): Promise<void> {
  if (!ids.length) return;
  const { flow, tally } = ctx;
  tally.total = ids.length;
  const stored = new Map((known ?? (await ctx.ledger.getRecords(flow.name, ids))).map((s) => [s.sourceId, s]));
  const get = ctx.source.entity.get;
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const fetched = get ? await ctx.retry(() => get(ctx.source.client, chunk)) : [];
    const byId = new Map(fetched.map((r) => [sourceIdOf(r, ctx.source.entity), r]));
    const records: JsonObject[] = [];
    const missing: Settlement[] = [];
    for (const id of chunk) {
      const record = byId.get(id) ?? stored.get(id)?.source;
      if (record) records.push(record);
      else missing.push(deadSettlement(flow, id, `record ${id} was not found in ${flow.source.connector}/${flow.source.entity}`));
    }
    await ctx.process(records);
    if (missing.length && !ctx.dryRun) await ctx.ledger.settle(ctx.runId, flow.name, missing);
    tally.count(missing);
  }
}

/** Records waiting for a parent, and transient failures with runs left, retried from their stored source. */
export async function retryFromLedger(ctx: RunContext): Promise<void> {
  const states = await ctx.ledger.listRecords(ctx.flow.name, { statuses: ['waiting', 'failed'] });
  const records = states.filter((s) => s.source).map((s) => s.source!);
  for (let i = 0; i < records.length; i += 500) await ctx.process(records.slice(i, i + 500), { retrying: true });
}

/** One record sent with the payload a person wrote; the original and the edit go into its history first. */
export async function sendEdited(ctx: RunContext, edit: PayloadEdit, evaluateMatch: (source: JsonObject) => Promise<unknown>): Promise<void> {
  const { flow } = ctx;
  const [state] = await ctx.ledger.getRecords(flow.name, [edit.sourceId]);
  if (!state) throw new PermanentError(`flow '${flow.name}' has no record '${edit.sourceId}' in the ledger`);
  // A record that failed before its match was worked out (a refused mapping) is matched now, from its stored source.
  const matchValue = state.matchValue ?? (flow.target.match && state.source ? await evaluateMatch(state.source) : undefined);
  const planned = plannedEdit(flow, state, edit, matchValue, ctx.target.entity.schema);
  if (ctx.dryRun) return;
  await ctx.ledger.recordDecision(flow.name, edit.sourceId, edit.kind, { by: edit.by, ...edit.detail, original: state.payload ?? null, edited: edit.payload });
  ctx.tally.counts.read++;
  await deliver([planned], ctx.writer, (settled) => ctx.tally.count(settled));
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
