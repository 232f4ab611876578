/**
 * `ferry run --dry-run`: what each record's decision would do, said instead of done. With `--show`, also
 * the source fields the mapping reads, the payload it would send, and for an update what would change.
 */
import type { JsonObject, WriteItem } from '../connector/types.js';
import type { RecordDigest, RunCounts } from '../ledger/ledger.js';
import type { Decision } from './decide.js';
import type { RunContext } from './run-context.js';

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

const COUNTED_AS: Record<DryRunLine['action'], keyof RunCounts> = {
  create: 'created',
  update: 'updated',
  unchanged: 'unchanged',
  waiting: 'waiting',
  hold: 'held',
  skip: 'skipped',
  reject: 'dead',
};

export async function reportDryRun(ctx: RunContext, sourceId: string, decision: Decision, state: RecordDigest | undefined, record: JsonObject): Promise<void> {
  const show = ctx.options.show === true;
  const line = (action: DryRunLine['action'], extra: Partial<DryRunLine> = {}, counted = true) => {
    if (counted) ctx.tally.counts[COUNTED_AS[action]]++;
    ctx.options.onDryRun?.({ flow: ctx.flow.name, sourceId, action, ...extra });
  };
  switch (decision.kind) {
    case 'unchanged':
      return line('unchanged', { targetId: state?.targetId });
    case 'still':
      return line(decision.status === 'held' ? 'hold' : decision.status === 'skipped' ? 'skip' : 'reject', { reason: state?.errorMessage ?? state?.reason }, false);
    case 'settle': {
      const s = decision.settlement;
      const action = s.status === 'waiting' ? 'waiting' : s.status === 'held' ? 'hold' : s.status === 'skipped' ? 'skip' : 'reject';
      return line(action, { reason: s.error?.message ?? s.reason, ...(show ? await detail(ctx, record, s.payload) : {}) });
    }
    case 'write': {
      const existing = decision.item.targetId ?? (await findExisting(ctx, decision.item));
      return line(existing ? 'update' : 'create', { targetId: existing, ...(show ? await detail(ctx, record, decision.item.payload, existing) : {}) });
    }
  }
}

/** What `--show` adds to a line: the fields read, the payload, and for an update what would change. */
async function detail(ctx: RunContext, record: JsonObject, payload: JsonObject | undefined, targetId?: string): Promise<Partial<DryRunLine>> {
  const source: JsonObject = {};
  for (const path of ctx.flow.mapping.sourcePaths()) {
    const value = path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as JsonObject)[key] : undefined), record);
    if (value !== undefined) source[path] = value as JsonObject[string];
  }
  const get = ctx.target.entity.get;
  if (!payload || !targetId || !get) return { source, payload };
  const [current] = await ctx.retry(() => get(ctx.target.client, [targetId]));
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [field, value] of Object.entries(payload)) if (!holds(current?.[field], value)) changes[field] = { from: current?.[field], to: value };
  return { source, payload, changes };
}

function findExisting(ctx: RunContext, item: WriteItem): Promise<string | undefined> {
  if (!item.match || !ctx.target.entity.find) return Promise.resolve(undefined);
  return ctx.target.entity.find(ctx.target.client, item);
}

/** Whether a target value already says what a payload value says (the target may add fields, a reference's name, and write 19.99 as "19.99"). */
function holds(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => holds(have[i], w));
  if (want && typeof want === 'object') return !!have && typeof have === 'object' && Object.entries(want).every(([k, w]) => holds((have as JsonObject)[k], w));
  return have !== undefined && have !== null && String(have) === String(want);
}
