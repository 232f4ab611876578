/**
 * The alerting hook: when a run ends with dead records, or with an error rate above the flow's
 * threshold, Ferry posts one JSON document (`RunAlert`, documented in the README) to the alert
 * destination the flow names. The URL is a secret (it carries its own token): it is never logged.
 */
import axios from 'axios';
import type { Flow } from '../flow/types.js';
import type { RecordStore } from '../ledger/ledger.js';
import type { Logger } from '../log.js';
import type { RunResult } from '../engine/runner.js';
import { rates, shellWord } from './sync-info.js';

export interface RunAlert {
  type: 'ferry.run.alert';
  flow: string;
  runId: number | null;
  status: RunResult['status'];
  /** Why the alert fired: dead records, the error rate, or both. */
  reasons: string[];
  counts: RunResult['counts'];
  errorRate: number | null;
  threshold: number;
  /** Up to ten dead or failed records of this run's flow with their reasons. */
  records: { sourceId: string; status: string; reason: string; resyncCommand: string }[];
  infoCommand: string;
  at: string;
}

export function alertFor(flow: Flow, result: RunResult, now: Date): Omit<RunAlert, 'records'> | undefined {
  const { errorRate } = rates(result.counts);
  const reasons: string[] = [];
  if (result.counts.dead > 0) reasons.push(`${result.counts.dead} record(s) dead-lettered`);
  if (errorRate !== null && errorRate > flow.onFailure.alertErrorRate) reasons.push(`error rate ${(errorRate * 100).toFixed(1)}% is above ${(flow.onFailure.alertErrorRate * 100).toFixed(1)}%`);
  if (result.status === 'failed') reasons.push(`the run failed: ${result.message ?? 'no reason recorded'}`);
  if (!reasons.length) return undefined;
  return {
    type: 'ferry.run.alert',
    flow: flow.name,
    runId: result.runId ?? null,
    status: result.status,
    reasons,
    counts: result.counts,
    errorRate,
    threshold: flow.onFailure.alertErrorRate,
    infoCommand: `ferry info ${flow.name}`,
    at: now.toISOString(),
  };
}

export interface AlertDeps {
  ledger: Pick<RecordStore, 'listRecords'>;
  logger: Logger;
  /** Alert destinations by name, from the config file. */
  destinations: ReadonlyMap<string, string>;
  now?: () => Date;
}

/** Posts the alert if the flow names a destination and the run calls for one. Never throws: an alert that cannot be sent is logged. */
export async function sendRunAlert(flow: Flow, result: RunResult, deps: AlertDeps): Promise<RunAlert | undefined> {
  const name = flow.onFailure.alert;
  if (!name) return undefined;
  const base = alertFor(flow, result, deps.now?.() ?? new Date());
  if (!base) return undefined;
  const url = deps.destinations.get(name);
  if (!url) {
    deps.logger.warn(`alert destination is not configured`, { flow: flow.name, alert: name });
    return undefined;
  }
  const troubled = await deps.ledger.listRecords(flow.name, { statuses: ['dead', 'failed'], limit: 10 });
  const alert: RunAlert = {
    ...base,
    records: troubled.map((r) => ({
      sourceId: r.sourceId,
      status: r.status,
      reason: r.error?.message ?? r.reason ?? r.status,
      resyncCommand: `ferry resync ${flow.name} --record ${shellWord(r.sourceId)}`,
    })),
  };
  try {
    await axios.post(url, alert, { timeout: 10_000, headers: { 'content-type': 'application/json', 'user-agent': 'ferry-alert/1' } });
    deps.logger.info(`alert sent`, { flow: flow.name, alert: name, run: result.runId });
  } catch (error) {
    const status = axios.isAxiosError(error) ? (error.response?.status ?? error.code) : undefined;
    // The URL is a secret: log the alert's name and the failure, never the destination.
    deps.logger.warn(`alert could not be delivered`, { flow: flow.name, alert: name, status });
  }
  return alert;
}
