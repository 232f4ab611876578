/**
 * A crash between calling the target and recording the answer leaves `pending` rows: the run asks the
 * target what happened, each question under the flow's retry policy and with the same questions a first
 * write asks (the same match, the same look-up), so recovery adopts exactly what the normal path adopts.
 * A write whose fate still cannot be learnt stays pending with the reason, is not written again in this
 * run, and holds the cursor; the rest of the run goes on.
 */
import type { Flow } from '../flow/types.js';
import type { RecordError, RecordState, Settlement } from '../ledger/ledger.js';
import { recordError, writeMatch } from './decide.js';
import { textHash } from './hash.js';
import { deadSettlement, type RunContext } from './run-context.js';
import { deliver, type PlannedWrite } from './writer.js';

/** Pending rows asked about, then committed, at a time: a run stopped while settling keeps what it learnt. */
const SETTLED_TOGETHER = 100;

export async function settlePending(ctx: RunContext): Promise<void> {
  const pending = await ctx.ledger.listRecords(ctx.flow.name, { statuses: ['pending'] });
  if (!pending.length) return;
  ctx.logger.warn(`settling writes interrupted by an earlier crash`, { flow: ctx.flow.name, count: pending.length });
  const unknown: { sourceId: string; error: RecordError }[] = [];
  for (let from = 0; from < pending.length; from += SETTLED_TOGETHER) unknown.push(...(await settleSome(ctx, pending.slice(from, from + SETTLED_TOGETHER))));
  if (unknown.length) {
    ctx.tally.notes.push(`${unknown.length} interrupted write${unknown.length === 1 ? '' : 's'} could not be settled (${unknown[0]!.error.message}); left pending for the next run to ask again`);
  }
}

/** Settles some pending rows and commits what it learnt; returns those whose fate is still unknown. */
async function settleSome(ctx: RunContext, pending: RecordState[]): Promise<{ sourceId: string; error: RecordError }[]> {
  const { flow, ledger, tally, target } = ctx;
  const found: Settlement[] = [];
  const rewrite: PlannedWrite[] = [];
  const broken: Settlement[] = [];
  const unknown: { sourceId: string; error: RecordError }[] = [];
  const find = target.entity.find;
  for (const state of pending) {
    const planned = plannedFromState(state, flow);
    if (!planned) {
      broken.push(deadSettlement(flow, state.sourceId, 'an interrupted write could not be settled: its ledger row is incomplete; resync the record', state.source));
      continue;
    }
    let existing: string | undefined;
    try {
      existing = find ? await ctx.retry(() => find(target.client, planned.item)) : undefined;
    } catch (error) {
      const failure = recordError(error);
      if (failure.class === 'permanent') {
        broken.push({ ...deadSettlement(flow, state.sourceId, '', state.source), error: { ...failure, message: `could not learn whether an interrupted write arrived: ${failure.message}` } });
      } else {
        unknown.push({ sourceId: state.sourceId, error: failure });
        tally.unsettled.add(state.sourceId);
        tally.holdCursorAt(state.sourceUpdatedAt);
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
        crossReference: { from: `${ctx.writer.sourceKeyPrefix}/${state.sourceId}`, to: `${ctx.writer.targetKeyPrefix}/${existing}` },
      });
    } else {
      // Not there (or no way to look): write again with the same idempotency key.
      rewrite.push(planned);
    }
  }
  await ledger.settle(ctx.runId, flow.name, [...found, ...broken]);
  await ledger.notePending(ctx.runId, flow.name, unknown);
  tally.count(found);
  tally.count(broken);
  await deliver(rewrite, ctx.writer, (settled) => tally.count(settled));
  return unknown;
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
