/**
 * The sync-info report: per flow, the last run and a chosen period — counts, rates, run times, top
 * error reasons, and every failed record with the command that resyncs it. One data structure, several
 * renderers (terminal, JSON, HTML); field names here are the documented JSON contract.
 */
import type { Flow } from '../flow/types.js';
import type { Ledger, RecordStatus, RunCounts, RunRecord } from '../ledger/ledger.js';
import { emptyCounts } from '../ledger/ledger.js';

export interface FailedRecord {
  sourceId: string;
  status: Extract<RecordStatus, 'failed' | 'dead' | 'held' | 'waiting'>;
  errorClass?: string;
  httpStatus?: number;
  field?: string;
  reason: string;
  attempts: number;
  firstFailedAt?: string;
  lastFailedAt?: string;
  since: string;
  resyncCommand: string;
}

export interface FlowInfo {
  name: string;
  description: string;
  source: string;
  target: string;
  lastRun?: RunRecord;
  period: {
    runs: number;
    counts: RunCounts;
    /**
     * Share of the records a flow is responsible for that ended created, updated or unchanged (0-1).
     * Records skipped on purpose (a filter, a skip rule) are not in the denominator; null when there are none.
     */
    successRate: number | null;
    errorRate: number | null;
    medianRunSeconds: number | null;
    p95RunSeconds: number | null;
  };
  /** Records in each status now, across the flow's whole history. */
  records: Record<RecordStatus, number>;
  topErrors: { reason: string; count: number }[];
  failures: FailedRecord[];
  runs: RunRecord[];
}

export interface SyncInfo {
  generatedAt: string;
  since: string | null;
  flows: FlowInfo[];
}

/**
 * A waiting record is resolved by its parent, not by resending it: held, the parent's approval; failed
 * or dead, the parent's resync once its cause is fixed; not yet synced, the parent flow's next run. The
 * waiting record follows by itself in its own flow's next run.
 */
async function waitingHint(ledger: Ledger, waitingOn: string, reason: string, command: string): Promise<{ reason: string; command: string }> {
  const at = waitingOn.indexOf(':');
  const [parentFlow, parentId] = [waitingOn.slice(0, at), waitingOn.slice(at + 1)];
  const [parent] = await ledger.getRecords(parentFlow, [parentId]);
  switch (parent?.status) {
    case 'held':
      return { reason: `${reason}; it is held (${parent.reason ?? 'for approval'})`, command: `ferry approve ${parentFlow} ${shellWord(parentId)}` };
    case 'dead':
    case 'failed':
      return { reason: `${reason}; it ${parent.status === 'dead' ? 'was dead-lettered' : 'failed'}: ${parent.error?.message ?? 'see its flow'}`, command: `ferry resync ${parentFlow} --record ${shellWord(parentId)}` };
    case 'synced':
      return { reason, command };
    default:
      return { reason: `${reason}; it has not synced yet`, command: `ferry run ${parentFlow}` };
  }
}

export async function buildSyncInfo(ledger: Ledger, flows: Flow[], options: { since?: Date; now?: Date } = {}): Promise<SyncInfo> {
  const out: FlowInfo[] = [];
  for (const flow of flows) {
    const runs = await ledger.listRuns({ flow: flow.name, since: options.since, limit: options.since ? undefined : 50 });
    const finished = runs.filter((r) => r.status !== 'running');
    const counts = finished.reduce((sum, r) => addCounts(sum, r.counts), emptyCounts());
    const durations = finished.filter((r) => r.endedAt).map((r) => (Date.parse(r.endedAt!) - Date.parse(r.startedAt)) / 1000);
    const troubled = await ledger.listRecords(flow.name, { statuses: ['dead', 'failed', 'held', 'waiting'] });
    const reasons = new Map<string, number>();
    const failures: FailedRecord[] = [];
    for (const r of troubled) {
      let reason = r.error?.message ?? r.reason ?? r.status;
      if (r.status === 'dead' || r.status === 'failed') reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      let command = r.status === 'held' ? `ferry approve ${flow.name} ${shellWord(r.sourceId)}` : `ferry resync ${flow.name} --record ${shellWord(r.sourceId)}`;
      if (r.status === 'waiting' && r.waitingOn) ({ reason, command } = await waitingHint(ledger, r.waitingOn, reason, command));
      failures.push({
        sourceId: r.sourceId,
        status: r.status as FailedRecord['status'],
        errorClass: r.error?.class,
        httpStatus: r.error?.status,
        field: r.error?.field,
        reason,
        attempts: r.attempts,
        firstFailedAt: r.firstFailedAt,
        lastFailedAt: r.lastFailedAt,
        since: r.statusSince,
        resyncCommand: command,
      });
    }
    out.push({
      name: flow.name,
      description: flow.description,
      source: `${flow.source.connector}/${flow.source.entity}`,
      target: `${flow.target.connector}/${flow.target.entity}`,
      lastRun: runs[0],
      period: {
        runs: finished.length,
        counts,
        ...rates(counts),
        medianRunSeconds: percentile(durations, 0.5),
        p95RunSeconds: percentile(durations, 0.95),
      },
      records: await ledger.countByStatus(flow.name),
      topErrors: [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([reason, count]) => ({ reason, count })),
      failures,
      runs: [...runs].reverse(),
    });
  }
  return { generatedAt: (options.now ?? new Date()).toISOString(), since: options.since?.toISOString() ?? null, flows: out };
}

/** Success and error shares of the records a run (or period) had to deliver; skipped records are not counted. */
export function rates(counts: RunCounts): { successRate: number | null; errorRate: number | null } {
  const good = counts.created + counts.updated + counts.unchanged;
  const bad = counts.failed + counts.dead;
  const processed = good + bad + counts.waiting + counts.held;
  return processed ? { successRate: round(good / processed), errorRate: round(bad / processed) } : { successRate: null, errorRate: null };
}

function addCounts(a: RunCounts, b: RunCounts): RunCounts {
  const out = { ...a };
  for (const key of Object.keys(out) as (keyof RunCounts)[]) out[key] += b[key];
  return out;
}

export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return round(sorted[Math.max(0, index)]!);
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Quotes an id for a shell command line only when it needs it. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9._:\/@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
