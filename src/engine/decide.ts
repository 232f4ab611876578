/**
 * What should happen to one source record: pure data work (diff, map, validate), no network.
 * The runner acts on the decision; tests can check decisions without any I/O.
 */
import type { EntityDeclaration, JsonObject, WriteItem } from '../connector/types.js';
import { FerryError, MissingParentError } from '../errors.js';
import type { Flow } from '../flow/types.js';
import type { PendingWrite, RecordDigest, RecordError, RecordStatus, Settlement } from '../ledger/ledger.js';
import { type Bindings, type Expression, evaluationError } from '../mapping/expression.js';
import { applyRules } from '../validation/rules.js';
import { OK } from '../validation/verdict.js';
import { targetSchemaValidator } from '../validation/target-schema.js';
import { contentHash, textHash } from './hash.js';

export type Decision =
  /** Nothing to do; `touch` when the ledger row needs the new hash or flow version recorded. */
  | { kind: 'unchanged'; touch: boolean }
  /** Still held or dead from before, with the same content: counted as such, nothing written. */
  | { kind: 'still'; status: Extract<RecordStatus, 'held' | 'dead' | 'skipped'> }
  /** Decided without calling the target: waiting, held, skipped, dead. */
  | { kind: 'settle'; settlement: Settlement }
  | { kind: 'write'; item: WriteItem; pending: PendingWrite };

export interface DecideContext {
  flow: Flow;
  /** `$lookup`s made while deciding the current record (`flow:parentFlow:sourceId`); kept as lineage for `ferry trace`. */
  lookups?: Set<string>;
  source: EntityDeclaration<unknown>;
  target: EntityDeclaration<unknown>;
  bindings: Bindings;
  /** Write even when the output is unchanged (resync). */
  force: boolean;
  now: () => Date;
}

export function sourceIdOf(record: JsonObject, source: EntityDeclaration<unknown>): string {
  const id = source.key(record);
  if (id === undefined || id === null || id === '') throw new Error('the source record has no id');
  return String(id);
}

export async function decide(record: JsonObject, sourceId: string, sourceHash: string, state: RecordDigest | undefined, ctx: DecideContext): Promise<Decision> {
  const { flow } = ctx;
  ctx.lookups?.clear();
  const sameSource = state?.sourceHash === sourceHash && state.flowVersion === flow.version;
  if (!ctx.force && sameSource && state) {
    if (state.status === 'synced') return { kind: 'unchanged', touch: false };
    if (state.status === 'held' || state.status === 'dead' || state.status === 'skipped') return { kind: 'still', status: state.status };
  }

  const base: SettlementBase = { sourceId, sourceHash, flowVersion: flow.version, sourceUpdatedAt: ctx.source.updatedAt?.(record), source: record };

  try {
    if (flow.source.filter && (await evaluatedAt('source.filter', flow.source.filter, record, ctx.bindings)) !== true) {
      return settle(base, { status: 'skipped', reason: 'filtered out by source.filter' });
    }

    const payload = await flow.mapping.evaluate(record, ctx.bindings);

    if (ctx.target.schema) {
      const problems = targetSchemaValidator(ctx.target.schema)(payload);
      if (problems.length) {
        return settle(base, { status: 'dead', payload, error: { class: 'permanent', code: 'validation', message: problems.join('; '), field: fieldOf(problems[0]!) } });
      }
    }

    // `$isNew()`: nothing has been written to the target for this record yet (a credit check counts new documents only).
    // Copying every binding for every record is needless work when no rule will read them.
    const verdict = flow.rules.length
      ? await applyRules(flow.rules, record, payload, { ...ctx.bindings, isNew: () => state?.targetId === undefined }, state?.approvedHash === sourceHash)
      : OK;
    if (verdict.kind === 'reject') return settle(base, { status: 'dead', payload, error: { class: 'permanent', code: 'rule', message: verdict.reasons.join('; ') } });
    if (verdict.kind === 'hold' || verdict.kind === 'skip') {
      const status = verdict.kind === 'hold' ? 'held' : 'skipped';
      return settle(base, { status, payload, reason: `${verdict.rule}: ${verdict.reason}` });
    }

    // A two-way flow's side with nothing to say yet (no billing address in QuickBooks) writes nothing.
    if (!Object.keys(payload).length) return settle(base, { status: 'skipped', payload, reason: 'the mapping gave no fields to write' });

    const payloadJson = JSON.stringify(payload);
    const outputHash = textHash(payloadJson);
    if (!ctx.force && state?.status === 'synced' && state.outputHash === outputHash) return { kind: 'unchanged', touch: true };

    const matchValue = flow.target.match ? await evaluatedAt('target.match.value', flow.target.match.value, record, ctx.bindings) : undefined;
    // The same write resent before its outcome is recorded (a retry in the run, a pending write after a
    // crash) repeats its key; once an outcome is recorded the next attempt gets a new one, so a target that
    // remembers its answer under a key (Stripe, QuickBooks' requestid) never replays an old refusal.
    const idempotencyKey = `ferry-${contentHash([flow.name, sourceId, outputHash, state?.attempts ?? 0])}`;
    const item: WriteItem = {
      sourceId,
      idempotencyKey,
      targetId: state?.targetId,
      match: writeMatch(flow, matchValue),
      // An earlier, failed attempt may still have reached the target, and the target may have forgotten its
      // idempotency key by now (Stripe keeps them about a day): look before creating.
      retry: state?.status === 'failed' || state?.status === 'dead' ? true : undefined,
      payload,
    };
    // Spelt out rather than spread from `base`: a spread here cost more than the whole mapping.
    const pending: PendingWrite = {
      sourceId,
      sourceHash,
      flowVersion: flow.version,
      sourceUpdatedAt: base.sourceUpdatedAt,
      source: record,
      idempotencyKey,
      inLedger: state !== undefined,
      outputHash,
      targetId: state?.targetId,
      matchValue,
      payload,
      payloadJson,
      references: ctx.lookups?.size ? [...ctx.lookups] : undefined,
    };
    return { kind: 'write', item, pending };
  } catch (error) {
    if (error instanceof MissingParentError) {
      const waitingOn = `${error.parentFlow}:${error.parentId}`;
      const waitedMs = state?.status === 'waiting' ? ctx.now().getTime() - Date.parse(state.statusSince) : 0;
      if (waitedMs > flow.waiting.maxAgeMs) {
        return settle(base, { status: 'dead', error: { class: 'permanent', code: 'parent-missing', message: `gave up waiting: ${error.message}` } });
      }
      return settle(base, { status: 'waiting', waitingOn, reason: error.message });
    }
    const failure = recordError(error);
    // Transient trouble while deciding (a lookup in the target timed out) is retried by later runs, up to the flow's limit.
    if (failure.class !== 'permanent' && (state?.failedRuns ?? 0) + 1 <= flow.onFailure.retryRuns) return settle(base, { status: 'failed', error: failure });
    return settle(base, { status: 'dead', error: failure });
  }
}

/** An expression outside the mapping, its failure named by where it is written (the mapping names its own fields). */
async function evaluatedAt(where: string, expression: Expression, record: JsonObject, bindings: Bindings): Promise<unknown> {
  try {
    return await expression.evaluate(record, bindings);
  } catch (error) {
    throw evaluationError(where, error, 'expression');
  }
}

type SettlementBase = Pick<Settlement, 'sourceId' | 'sourceHash' | 'flowVersion' | 'sourceUpdatedAt' | 'source'>;

/** A module function, not a closure per record: the launcher names every closure it creates, at a cost. */
function settle(base: SettlementBase, s: Omit<Settlement, keyof SettlementBase>): Decision {
  return { kind: 'settle', settlement: { ...base, ...s } };
}

/**
 * How a write finds a target record the ledger does not know: the flow's `target.match` with the value
 * the record gave it, or nothing when that value is empty. One function for a first write and for
 * settling a write a crash interrupted, so recovery adopts exactly what the normal path adopts.
 */
export function writeMatch(flow: Flow, value: unknown): WriteItem['match'] {
  return flow.target.match && value !== undefined && value !== null && value !== '' ? { field: flow.target.match.field, value } : undefined;
}

export function recordError(error: unknown): RecordError {
  if (error instanceof FerryError) {
    return { class: error.kind, message: error.message, status: error.status, code: error.code, field: error.field };
  }
  return { class: 'permanent', message: error instanceof Error ? error.message : String(error) };
}

function fieldOf(problem: string): string | undefined {
  const colon = problem.indexOf(':');
  return colon > 0 ? problem.slice(0, colon) : undefined;
}
