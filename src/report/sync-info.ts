/**
 * The sync-info report: per flow, the last run and a chosen period — counts, rates, run times, top
 * error reasons, and every failed record with the command that resyncs it. One data structure, several
 * renderers (terminal, JSON, HTML); field names here are the documented JSON contract.
 */
import type { Flow } from '../flow/types.js';
import type { RecordState, RecordStatus, ReportSource, RunCounts, RunRecord } from '../ledger/ledger.js';
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
  /** How a person knows the source record (an order's name, an invoice's number), when its connector says. */
  label?: string;
  /** The record's pages in the vendors' admins: its source, and what it became when it has a target id. */
  links?: RecordLink[];
}

export interface RecordLink {
  system: string;
  url: string;
}

/** Names and admin links for a flow's records: vendor knowledge the connectors give, handed in by the caller. */
export type RecordPresenter = (flow: Flow, record: RecordState) => { label?: string; links: RecordLink[] };

/** good: nothing for a person to do; attention: records held or waiting for a person; failing: records that failed, or a failed run. */
export type FlowHealth = 'good' | 'attention' | 'failing';

/** The period a report covers unless one is chosen: a reviewer's day. */
const DEFAULT_PERIOD_MS = 24 * 3_600_000;
/** At most this many of a flow's latest runs are listed and charted; counts and rates cover every run of the period. */
const RUNS_SHOWN = 100;

export interface FlowInfo {
  name: string;
  description: string;
  source: string;
  target: string;
  health: FlowHealth;
  /** The latest run, whenever it was. */
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
  /** The period's runs, oldest first (the latest RUNS_SHOWN of them). */
  runs: RunRecord[];
}

export interface SyncInfo {
  generatedAt: string;
  since: string;
  flows: FlowInfo[];
}

/**
 * A waiting record is resolved by its parent, not by resending it: held, the parent's approval; failed
 * or dead, the parent's resync once its cause is fixed; not yet synced, the parent flow's next run. The
 * waiting record follows by itself in its own flow's next run.
 */
async function waitingHint(ledger: ReportSource, waitingOn: string, reason: string, command: string): Promise<{ reason: string; command: string }> {
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

export async function buildSyncInfo(ledger: ReportSource, flows: Flow[], options: { since?: Date; now?: Date; present?: RecordPresenter } = {}): Promise<SyncInfo> {
  const now = options.now ?? new Date();
  const since = options.since ?? new Date(now.getTime() - DEFAULT_PERIOD_MS);
  const out: FlowInfo[] = [];
  for (const flow of flows) {
    const runs = await ledger.listRuns({ flow: flow.name, since });
    const [lastRun] = runs.length ? runs : await ledger.listRuns({ flow: flow.name, limit: 1 });
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
      const presented = options.present?.(flow, r);
      failures.push({
        sourceId: r.sourceId,
        ...(presented?.label ? { label: presented.label } : {}),
        ...(presented?.links.length ? { links: presented.links } : {}),
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
    const records = await ledger.countByStatus(flow.name);
    out.push({
      name: flow.name,
      description: flow.description,
      source: `${flow.source.connector}/${flow.source.entity}`,
      target: `${flow.target.connector}/${flow.target.entity}`,
      health: records.dead + records.failed > 0 || lastRun?.status === 'failed' ? 'failing' : records.held + records.waiting + records.pending > 0 ? 'attention' : 'good',
      lastRun,
      period: {
        runs: finished.length,
        counts,
        ...rates(counts),
        medianRunSeconds: percentile(durations, 0.5),
        p95RunSeconds: percentile(durations, 0.95),
      },
      records,
      topErrors: [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([reason, count]) => ({ reason, count })),
      failures,
      runs: runs.slice(0, RUNS_SHOWN).reverse(),
    });
  }
  return { generatedAt: now.toISOString(), since: since.toISOString(), flows: out };
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
