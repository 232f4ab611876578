/**
 * `ferry reconcile`: for each flow with a `reconcile` section, read the source and the target through
 * the connectors (not the ledger: the point is to check the ledger's story against both systems) and
 * compare, for a period, counts and money totals. Records pair up by the flow's `target.match` (the
 * value on the source side, the field on the target side). Every mismatch names its records:
 *   missing   a source record that should have a target document and has none (with where the ledger says it is)
 *   amount    both exist, amounts differ
 *   duplicate more than one target document for one source record
 *   extra     a target document this flow wrote whose source no longer calls for it
 * Target documents that pair with no source record and that the flow never wrote (entered by hand, or
 * by another flow) are counted as unrelated and not compared.
 */
import type { JsonObject } from '../connector/types.js';
import type { Connections } from '../engine/connections.js';
import type { Flow } from '../flow/types.js';
import type { Ledger } from '../ledger/ledger.js';
import { ferryFunctions } from '../mapping/functions.js';
import { fromCents, toCents } from '../mapping/money.js';
import { shellWord } from './sync-info.js';

export interface Period {
  /** Inclusive UTC day, YYYY-MM-DD. */
  from?: string;
  /** Exclusive UTC day, YYYY-MM-DD. */
  to?: string;
}

export interface Mismatch {
  kind: 'missing' | 'amount' | 'duplicate' | 'extra';
  key: string;
  sourceId?: string;
  targetIds: string[];
  sourceAmount?: number;
  targetAmount?: number;
  /** Where the ledger says the source record is (held, dead, waiting...), for a missing document. */
  ledgerStatus?: string;
  ledgerReason?: string;
  /** What to run next, when Ferry can fix it. */
  command?: string;
}

export interface FlowReconciliation {
  flow: string;
  source: string;
  target: string;
  sourceCount: number;
  targetCount: number;
  sourceTotal: number;
  targetTotal: number;
  matched: number;
  unrelatedTargets: number;
  mismatches: Mismatch[];
}

export interface Reconciliation {
  period: Period;
  flows: FlowReconciliation[];
  mismatches: number;
}

export async function reconcile(flows: Flow[], connections: Connections, ledger: Ledger, period: Period): Promise<Reconciliation> {
  const out: FlowReconciliation[] = [];
  for (const flow of flows) if (flow.reconcile && flow.target.match) out.push(await reconcileFlow(flow, connections, ledger, period));
  return { period, flows: out, mismatches: out.reduce((n, f) => n + f.mismatches.length, 0) };
}

interface Expected {
  sourceId: string;
  key: string;
  cents: number;
}

async function reconcileFlow(flow: Flow, connections: Connections, ledger: Ledger, period: Period): Promise<FlowReconciliation> {
  const spec = flow.reconcile!;
  const match = flow.target.match!;
  const bindings = ferryFunctions({ target: (parentFlow, sourceId) => ledger.findTarget(parentFlow, sourceId), source: (flow, targetId) => ledger.findSource(flow, targetId) });
  const since = period.from ? new Date(`${period.from}T00:00:00Z`) : undefined;
  const inPeriod = (value: unknown) => {
    if (!period.from && !period.to) return true;
    // Dates are ISO strings, or Unix seconds (Stripe's `created`).
    const day = typeof value === 'string' && value.length >= 10 ? new Date(value).toISOString().slice(0, 10) : typeof value === 'number' ? new Date(value * 1000).toISOString().slice(0, 10) : undefined;
    if (!day) return false;
    return (!period.from || day >= period.from) && (!period.to || day < period.to);
  };

  const source = await connections.entity(flow.source.connector, flow.source.connection, flow.source.entity);
  const expected = new Map<string, Expected>();
  for await (const page of source.entity.read!(source.client, { since, params: flow.source.params })) {
    for (const record of page.records) {
      if (!inPeriod(pathOf(record, spec.sourceDate))) continue;
      if (flow.source.filter && (await flow.source.filter.evaluate(record, bindings)) !== true) continue;
      const key = await match.value.evaluate(record, bindings);
      if (key === undefined || key === null || key === '') continue;
      const sourceId = source.entity.key(record);
      expected.set(String(key), { sourceId, key: String(key), cents: toCents((await spec.sourceAmount.evaluate(record, bindings)) as number) });
    }
  }

  const target = await connections.entity(flow.target.connector, flow.target.connection, flow.target.entity);
  const written = new Set((await ledger.listRecords(flow.name, { statuses: ['synced'] })).flatMap((r) => (r.targetId ? [r.targetId] : [])));
  const byKey = new Map<string, { id: string; cents: number }[]>();
  let unrelatedTargets = 0;
  const extras: Mismatch[] = [];
  for await (const page of target.entity.read!(target.client, { since })) {
    for (const record of page.records) {
      if (!inPeriod(pathOf(record, spec.targetDate))) continue;
      const id = target.entity.key(record);
      const key = String(pathOf(record, match.field) ?? '');
      const cents = toCents(pathOf(record, spec.targetAmount) as number);
      if (expected.has(key)) byKey.set(key, [...(byKey.get(key) ?? []), { id, cents }]);
      else if (written.has(id)) extras.push({ kind: 'extra', key, targetIds: [id], targetAmount: fromCents(cents) });
      else unrelatedTargets++;
    }
  }

  const mismatches: Mismatch[] = [];
  let matched = 0;
  let targetCents = extras.reduce((sum, e) => sum + toCents(e.targetAmount), 0);
  const missing: Expected[] = [];
  for (const want of expected.values()) {
    const found = byKey.get(want.key) ?? [];
    targetCents += found.reduce((sum, f) => sum + f.cents, 0);
    if (!found.length) missing.push(want);
    else if (found.length > 1) mismatches.push({ kind: 'duplicate', key: want.key, sourceId: want.sourceId, targetIds: found.map((f) => f.id), sourceAmount: fromCents(want.cents), targetAmount: fromCents(found.reduce((s, f) => s + f.cents, 0)) });
    else if (found[0]!.cents !== want.cents) mismatches.push({ kind: 'amount', key: want.key, sourceId: want.sourceId, targetIds: [found[0]!.id], sourceAmount: fromCents(want.cents), targetAmount: fromCents(found[0]!.cents), command: `ferry resync ${flow.name} --record ${shellWord(want.sourceId)}` });
    else matched++;
  }
  const states = new Map((await ledger.getRecords(flow.name, missing.map((m) => m.sourceId))).map((s) => [s.sourceId, s]));
  for (const want of missing) {
    const state = states.get(want.sourceId);
    // A waiting record books itself once its parent does: there is nothing to run for it.
    const command =
      state?.status === 'held'
        ? `ferry approve ${flow.name} ${shellWord(want.sourceId)}`
        : state?.status === 'waiting'
          ? undefined
          : `ferry resync ${flow.name} --record ${shellWord(want.sourceId)}`;
    mismatches.push({ kind: 'missing', key: want.key, sourceId: want.sourceId, targetIds: [], sourceAmount: fromCents(want.cents), ledgerStatus: state?.status ?? 'never synced', ledgerReason: state?.error?.message ?? state?.reason, command });
  }
  mismatches.push(...extras);

  return {
    flow: flow.name,
    source: `${flow.source.connector}/${flow.source.entity}`,
    target: `${flow.target.connector}/${flow.target.entity}`,
    sourceCount: expected.size,
    targetCount: [...byKey.values()].reduce((n, list) => n + list.length, 0) + extras.length,
    sourceTotal: fromCents([...expected.values()].reduce((sum, e) => sum + e.cents, 0)),
    targetTotal: fromCents(targetCents),
    matched,
    unrelatedTargets,
    mismatches,
  };
}

function pathOf(record: JsonObject, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('.')) value = value && typeof value === 'object' ? (value as JsonObject)[part] : undefined;
  return value;
}
