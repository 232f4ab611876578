/**
 * What both ledgers share: how rows read back as records, runs and events, and what a write intent
 * keeps of each reserved write.
 */
import type { JsonObject } from '../connector/types.js';
import type { ErrorClass } from '../errors.js';
import type { LedgerEvent, PendingWrite, RecordDigest, RecordState, RecordStatus, RunRecord, RunStatus, RunTrigger, Settlement } from './ledger.js';

export type Row = Record<string, string | number | null>;

/** How many reserved writes one intent row holds. */
export const WRITES_PER_INTENT = 100;

/** What a write intent keeps of each reserved write: enough to settle it after a crash. */
export type ReservedWrite = Pick<PendingWrite, 'sourceId' | 'idempotencyKey' | 'sourceHash' | 'flowVersion' | 'sourceUpdatedAt' | 'targetId' | 'matchValue' | 'payload'>;

export interface IntentRow {
  id: number;
  flow: string;
  run_id: number;
  writes: string;
}

export const reservationKey = (flow: string, sourceId: string) => `${flow}\u0000${sourceId}`;

/** A ReservedWrite as JSON, with the payload spliced in as the JSON it was hashed from (not serialised again). */
export function reservedJson(w: PendingWrite): string {
  const { sourceId, idempotencyKey, sourceHash, flowVersion, sourceUpdatedAt, targetId, matchValue } = w;
  return `${JSON.stringify({ sourceId, idempotencyKey, sourceHash, flowVersion, sourceUpdatedAt, targetId, matchValue }).slice(0, -1)},"payload":${w.payloadJson}}`;
}

export function eventDetail(s: Settlement): JsonObject {
  const detail: JsonObject = {};
  if (s.targetId) detail.targetId = s.targetId;
  if (s.attempts) detail.attempts = s.attempts;
  if (s.error) detail.error = { ...s.error };
  if (s.reason) detail.reason = s.reason;
  if (s.waitingOn) detail.waitingOn = s.waitingOn;
  return detail;
}

export const optional = (v: string | number | null | undefined) => (v === null || v === undefined ? undefined : String(v));

export function toDigest(row: Row): RecordDigest {
  return {
    sourceId: String(row.source_id),
    status: row.status as RecordStatus,
    targetId: optional(row.target_id),
    sourceHash: optional(row.source_hash),
    outputHash: optional(row.output_hash),
    flowVersion: optional(row.flow_version),
    attempts: Number(row.attempts),
    failedRuns: Number(row.failed_runs),
    statusSince: String(row.status_since),
    reason: optional(row.reason),
    errorMessage: optional(row.error_message),
    approvedHash: optional(row.approved_hash),
  };
}

export function toState(row: Row): RecordState {
  const { errorMessage, ...digest } = toDigest(row);
  return {
    ...digest,
    flow: String(row.flow),
    idempotencyKey: optional(row.idempotency_key),
    error: errorMessage
      ? {
          class: row.error_class as ErrorClass,
          message: errorMessage,
          status: row.error_status === null ? undefined : Number(row.error_status),
          code: optional(row.error_code),
          field: optional(row.error_field),
        }
      : undefined,
    waitingOn: optional(row.waiting_on),
    sourceUpdatedAt: optional(row.source_updated_at),
    firstSyncedAt: optional(row.first_synced_at),
    lastSyncedAt: optional(row.last_synced_at),
    firstFailedAt: optional(row.first_failed_at),
    lastFailedAt: optional(row.last_failed_at),
    lastRunId: row.last_run_id === null ? undefined : Number(row.last_run_id),
    source: row.source_json ? (JSON.parse(String(row.source_json)) as JsonObject) : undefined,
    payload: row.payload_json ? (JSON.parse(String(row.payload_json)) as JsonObject) : undefined,
    matchValue: row.match_value ? (JSON.parse(String(row.match_value)) as unknown) : undefined,
  };
}

export function toRun(row: Row): RunRecord {
  return {
    id: Number(row.id),
    flow: String(row.flow),
    trigger: row.trigger as RunTrigger,
    status: row.status as RunStatus,
    startedAt: String(row.started_at),
    endedAt: optional(row.ended_at),
    message: optional(row.message),
    counts: {
      read: Number(row.read),
      created: Number(row.created),
      updated: Number(row.updated),
      unchanged: Number(row.unchanged),
      waiting: Number(row.waiting),
      held: Number(row.held),
      skipped: Number(row.skipped),
      failed: Number(row.failed),
      dead: Number(row.dead),
    },
  };
}

/**
 * How a settlement changes a record's row that is already there: the same in SQLite and PostgreSQL,
 * whose upserts read the new values as `excluded` and the row as `records`.
 */
export const SETTLE_UPDATE = `ON CONFLICT (flow, source_id) DO UPDATE SET
    status = excluded.status,
    target_id = COALESCE(excluded.target_id, records.target_id),
    source_hash = excluded.source_hash,
    output_hash = COALESCE(excluded.output_hash, records.output_hash),
    flow_version = excluded.flow_version,
    idempotency_key = COALESCE(excluded.idempotency_key, records.idempotency_key),
    attempts = records.attempts + excluded.attempts,
    failed_runs = CASE excluded.status WHEN 'failed' THEN records.failed_runs + 1 WHEN 'synced' THEN 0 ELSE records.failed_runs END,
    error_class = excluded.error_class,
    error_status = excluded.error_status,
    error_code = excluded.error_code,
    error_field = excluded.error_field,
    error_message = excluded.error_message,
    waiting_on = excluded.waiting_on,
    reason = excluded.reason,
    source_updated_at = COALESCE(excluded.source_updated_at, records.source_updated_at),
    first_synced_at = COALESCE(records.first_synced_at, excluded.first_synced_at),
    last_synced_at = COALESCE(excluded.last_synced_at, records.last_synced_at),
    first_failed_at = CASE WHEN excluded.first_failed_at IS NULL THEN NULL ELSE COALESCE(records.first_failed_at, excluded.first_failed_at) END,
    last_failed_at = COALESCE(excluded.last_failed_at, records.last_failed_at),
    status_since = CASE WHEN records.status = excluded.status THEN records.status_since ELSE excluded.status_since END,
    last_run_id = excluded.last_run_id,
    source_json = excluded.source_json,
    payload_json = excluded.payload_json,
    match_value = excluded.match_value`;

export function toEvent(row: Row): LedgerEvent {
  return {
    id: Number(row.id),
    flow: String(row.flow),
    sourceId: String(row.source_id),
    runId: row.run_id === null ? undefined : Number(row.run_id),
    at: String(row.at),
    kind: String(row.kind),
    detail: row.detail ? (JSON.parse(String(row.detail)) as JsonObject) : undefined,
  };
}

/** A cross-reference row (`key`, `flow`, `created_at`) seen from the key asked about. */
export const toLink = (direction: 'from' | 'to') => (row: Row) => ({ key: String(row.key), flow: String(row.flow), direction, at: String(row.created_at) });
