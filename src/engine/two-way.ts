/**
 * Two-way flows: a pair of flows that sync one entity both ways (HubSpot companies ↔ QuickBooks
 * customers) must not echo each other's writes back, and must not undo a change the other side made.
 */
import type { JsonObject } from '../connector/types.js';
import type { RunContext } from './run-context.js';
import type { PlannedWrite } from './writer.js';

/** Ids of records whose version is the one a reverse flow's write left on them: Ferry's own change, read back. */
export async function ownWritesAmong(ctx: RunContext, records: Map<string, JsonObject>): Promise<Set<string>> {
  const version = ctx.source.entity.version;
  const reverse = ctx.flow.source.reverseFlows;
  if (!reverse.length || !version) return new Set();
  const prefix = ctx.writer.sourceKeyPrefix;
  const stamps = [...records].flatMap(([id, record]) => {
    const v = version(record);
    return v ? [{ key: `${prefix}/${id}`, version: v }] : [];
  });
  const own = await ctx.ledger.ownWrites(reverse, stamps);
  return new Set([...own].map((key) => key.slice(prefix.length + 1)));
}

/**
 * A target record someone changed since this flow last wrote it holds news for the reverse flow, so the
 * write leaves no stamp and the reverse flow reads it as a change; so does a first write, since what the
 * target held before Ferry came is news too. Field by field over `last_writer_wins`: a field this side
 * has not changed since its last write is not sent (it would undo the other side's change), and a field
 * both sides changed keeps the target's value when the target changed later.
 */
export async function keepNewerTargetValues(ctx: RunContext, writes: PlannedWrite[]): Promise<void> {
  const { flow, ledger } = ctx;
  if (!flow.source.reverseFlows.length) return;
  const fields = flow.target.lastWriterWins;
  const { entity, client } = ctx.target;
  const known = writes.filter((w) => w.item.targetId);
  for (const write of writes) if (!write.item.targetId) write.unstamped = true;
  if (!known.length || !entity.get) return;
  const current = await ctx.retry(() => entity.get!(client, known.map((w) => w.item.targetId!)));
  const byId = new Map(current.map((record) => [entity.key(record), record]));
  const lastWritten = new Map((await ledger.getRecords(flow.name, known.map((w) => w.item.sourceId))).map((r) => [r.sourceId, r.payload]));
  for (const write of known) {
    const target = byId.get(write.item.targetId!);
    const last = lastWritten.get(write.item.sourceId);
    if (!target || !last) {
      write.unstamped = true;
      continue;
    }
    const stamp = await ledger.lastStamp(flow.name, `${ctx.writer.targetKeyPrefix}/${write.item.targetId}`);
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

/** Field values compared as JSON, so `{ FreeFormNumber: '1' }` equals itself across reads. */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
