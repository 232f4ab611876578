/**
 * The ledger: what Ferry knows about every record it has touched. It is what makes a sync incremental
 * (content hashes, cursors), idempotent (target ids, idempotency keys) and resumable (pending rows).
 *
 * The interface is async although SQLite is not, so a PostgreSQL ledger for several workers can sit
 * beside the SQLite one without touching the runner.
 */
import type { JsonObject, SharedBudget } from '../connector/types.js';
import type { ErrorClass } from '../errors.js';

export type RecordStatus = 'synced' | 'pending' | 'waiting' | 'failed' | 'dead' | 'held' | 'skipped';
export type SyncAction = 'created' | 'updated';

export interface RecordError {
  class: ErrorClass;
  message: string;
  status?: number;
  code?: string;
  field?: string;
}

export interface RecordState {
  flow: string;
  sourceId: string;
  status: RecordStatus;
  targetId?: string;
  sourceHash?: string;
  outputHash?: string;
  flowVersion?: string;
  idempotencyKey?: string;
  /** Write attempts over the record's life. */
  attempts: number;
  /** Runs in which the record failed transiently; past the flow's limit it is dead-lettered. */
  failedRuns: number;
  error?: RecordError;
  /** `flow:sourceId` of the parent a waiting record needs. */
  waitingOn?: string;
  reason?: string;
  sourceUpdatedAt?: string;
  firstSyncedAt?: string;
  lastSyncedAt?: string;
  firstFailedAt?: string;
  lastFailedAt?: string;
  /** When the record entered its current status. */
  statusSince: string;
  lastRunId?: number;
  /** The source record, kept while the record is not synced, so it can be retried without re-reading. */
  source?: JsonObject;
  /** The mapped payload, kept while the record is not synced (dead-letter show, settling pending), and for two-way flows what was last written. */
  payload?: JsonObject;
  matchValue?: unknown;
  /** The source hash a person approved (`ferry approve`): that version of the record skips the hold rules. */
  approvedHash?: string;
}

/** The part of a record's state that decides what happens to it on a run: kept small, it is read for every record. */
export type RecordDigest = Pick<RecordState, 'sourceId' | 'status' | 'targetId' | 'sourceHash' | 'outputHash' | 'flowVersion' | 'attempts' | 'failedRuns' | 'statusSince' | 'reason' | 'approvedHash'> & {
  errorMessage?: string;
};

export interface PendingWrite {
  sourceId: string;
  idempotencyKey: string;
  /** The ledger already holds a row for this record (false on its first sync: the settlement inserts it). */
  inLedger: boolean;
  sourceHash: string;
  outputHash: string;
  flowVersion: string;
  sourceUpdatedAt?: string;
  targetId?: string;
  matchValue?: unknown;
  /** Kept in memory for the settlement; the ledger stores only the payload while a write is pending. */
  source: JsonObject;
  payload: JsonObject;
  /** The payload as JSON, as it was hashed: the ledger keeps it without serialising it again. */
  payloadJson: string;
  /** Parent records the mapping looked up (`flow:parentFlow:sourceId`). */
  references?: string[];
}

/** The fate of one record in a run, written with its event and cross-reference in one transaction. */
export interface Settlement {
  sourceId: string;
  status: Exclude<RecordStatus, 'pending'>;
  action?: SyncAction;
  targetId?: string;
  sourceHash: string;
  outputHash?: string;
  flowVersion: string;
  sourceUpdatedAt?: string;
  /** Write attempts made in this run. */
  attempts?: number;
  error?: RecordError;
  waitingOn?: string;
  reason?: string;
  source?: JsonObject;
  payload?: JsonObject;
  matchValue?: unknown;
  /** `system/entity/id` of the source and of what it became. */
  crossReference?: { from: string; to: string };
  /**
   * The target record's version after this write: Ferry's stamp on it. Absent when the target held a
   * change Ferry had not seen, so the reverse flow still reads that change instead of taking it for an echo.
   */
  targetVersion?: string;
  /** Parents the record's mapping looked up, `flow:parentFlow:sourceId`: linked from the source key, for tracing. */
  references?: string[];
}

/** A lock held: its name and the fencing number it was taken under. */
export interface Lease {
  lock: string;
  fence: number;
}

export type RunTrigger = 'manual' | 'schedule' | 'webhook' | 'resync' | 'demo';
export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed';

export interface RunCounts {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  waiting: number;
  held: number;
  skipped: number;
  failed: number;
  dead: number;
}

export interface RunRecord {
  id: number;
  flow: string;
  trigger: RunTrigger;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  counts: RunCounts;
  /** Why the run itself could not proceed, or notes such as "full read: cursor too old". */
  message?: string;
}

export interface LedgerEvent {
  /** Increasing along a record's history; 0 for a first event a ledger keeps on the record's own row. */
  id: number;
  flow: string;
  sourceId: string;
  runId?: number;
  at: string;
  kind: string;
  detail?: JsonObject;
}

export interface RecordQuery {
  statuses?: RecordStatus[];
  /** Records whose status changed at or after this time. */
  since?: Date;
  until?: Date;
  limit?: number;
}

/**
 * The ledger by concern: each caller depends only on what it uses (the daemon's scheduling on
 * coordination, the reports on records, runs and lineage). One implementation serves them all, with
 * one transaction boundary per call.
 */

/** Record state and write intents: what the runner reads and settles for every record. */
export interface RecordStore {
  /** Digests of these source ids' rows; ids the ledger has never seen are absent. */
  getDigests(flow: string, sourceIds: string[]): Promise<Map<string, RecordDigest>>;
  /** Full rows, with the stored source and payload, for the ids the ledger knows. */
  getRecords(flow: string, sourceIds: string[]): Promise<RecordState[]>;
  listRecords(flow: string, query?: RecordQuery): Promise<RecordState[]>;
  countByStatus(flow: string): Promise<Record<RecordStatus, number>>;
  /** The target id `flow` wrote for `sourceId`, if it synced: what `$lookup` resolves. */
  findTarget(flow: string, sourceId: string): Promise<string | undefined>;
  /** Of these `system/entity/id` keys at these versions, the ones one of `flows` wrote last: Ferry's own changes. */
  ownWrites(flows: string[], records: { key: string; version: string }[]): Promise<Set<string>>;
  /** The version `flow`'s last write left on `key`, if that write was stamped. */
  lastStamp(flow: string, key: string): Promise<string | undefined>;
  /** The source record `flow` wrote as `targetId`: what `$sourceOf` resolves (the way back along a cross-reference). */
  findSource(flow: string, targetId: string): Promise<string | undefined>;

  /**
   * Reserve writes before calling the target, durably. A reservation its run does not settle shows as a
   * `pending` record once the run ends (after a crash: once the flow's next run starts).
   */
  markPending(runId: number, flow: string, writes: PendingWrite[]): Promise<void>;
  /** Record outcomes, events and cross-references (one transaction). */
  settle(runId: number, flow: string, settlements: Settlement[]): Promise<void>;
  /**
   * Writes a crash left `pending` that a run could not settle (the target could not be asked): they stay
   * pending, with the reason, and an event each in their history.
   */
  notePending(runId: number, flow: string, rows: { sourceId: string; error: RecordError }[]): Promise<void>;
  /** A record already synced whose output is unchanged under a new flow version. */
  touchUnchanged(flow: string, rows: { sourceId: string; sourceHash: string; flowVersion: string }[]): Promise<void>;
  /**
   * A person approves a held record: it becomes `waiting`, so the flow's next run books it without the
   * hold rules, as long as the source has not changed since. False when the record is not held.
   */
  approveHeld(flow: string, sourceId: string, detail: JsonObject): Promise<boolean>;
  /** Record a human decision (reject, discard) in the record's history. */
  recordDecision(flow: string, sourceId: string, kind: string, detail: JsonObject, status?: RecordStatus, reason?: string): Promise<void>;
}

/** Runs and cursors: where each flow got to, and what each run did. */
export interface RunStore {
  getCursor(flow: string): Promise<string | undefined>;
  /** `runId`: the run saving it, refused when that run's lease has passed to another holder. */
  saveCursor(flow: string, cursor: string, runId?: number): Promise<void>;
  getFlowVersion(flow: string): Promise<string | undefined>;
  saveFlowVersion(flow: string, version: string): Promise<void>;
  /**
   * Called with the flow's lock held: a run still marked `running` was interrupted, and is closed as failed.
   * A run started under a lease is fenced: its reservations, settlements and cursor are refused
   * (StaleLockError) once the lock has passed to another holder.
   */
  startRun(flow: string, trigger: RunTrigger, lease?: Lease): Promise<number>;
  finishRun(runId: number, status: RunStatus, counts: RunCounts, message?: string): Promise<void>;
  listRuns(query?: { flow?: string; since?: Date; limit?: number }): Promise<RunRecord[]>;
}

/** Coordination between processes sharing the ledger: run locks, schedule slots, webhook deliveries. */
export interface Coordination {
  /**
   * Take a lock for `leaseMs`: its fencing number, one more than the last holder's, or undefined when it is
   * held (by anyone, this owner included) under an unexpired lease that `isAbandoned` does not disown.
   */
  acquireLock(name: string, owner: string, leaseMs: number, isAbandoned?: (holder: string) => boolean): Promise<number | undefined>;
  /** Extend a lease still held under `fence`; false when the lock has passed to another holder since. */
  renewLock(name: string, owner: string, fence: number, leaseMs: number): Promise<boolean>;
  releaseLock(name: string, owner: string): Promise<void>;
  /**
   * Remember a webhook delivery id; false when it was already seen (vendors deliver more than once).
   * Ids older than `forgetBefore` are dropped, which bounds the table by the vendors' retry windows.
   */
  rememberDelivery(connection: string, deliveryId: string, forgetBefore?: Date): Promise<boolean>;
  /**
   * Claim one scheduled slot (`flow:2026-11-23T01:30:00.000Z`) for `owner`; false when another daemon
   * already has it. Claims older than `forgetBefore` are dropped.
   */
  claimSlot(slotKey: string, owner: string, forgetBefore?: Date): Promise<boolean>;
  /** A request budget shared by every process on this ledger (PostgreSQL); absent where the ledger is one machine's. */
  sharedBudget?(): SharedBudget;
}

/** Lineage: each record's history and its links across systems. */
export interface Lineage {
  events(flow: string, sourceId: string): Promise<LedgerEvent[]>;
  /**
   * Keys linked to `key` (`system/entity/id`) in either direction, with the flow that linked them. A
   * `flow:NAME:ID` key is a parent the record looked up: source `ID` of flow `NAME`.
   */
  crossReferences(key: string): Promise<{ key: string; flow: string; direction: 'from' | 'to'; at: string }[]>;
}

/** What the reports read. */
export type ReportSource = Pick<RecordStore, 'listRecords' | 'getRecords' | 'countByStatus'> & Pick<RunStore, 'listRuns'>;

export interface Ledger extends RecordStore, RunStore, Coordination, Lineage {
  close(): Promise<void>;
}

/** `system/entity/id` → its `system/entity` and id (the id may hold slashes: Shopify's gid://…). */
export function splitKey(key: string): { prefix: string; id: string } | undefined {
  const slash = key.indexOf('/', key.indexOf('/') + 1);
  return key.indexOf('/') > 0 && slash > 0 ? { prefix: key.slice(0, slash), id: key.slice(slash + 1) } : undefined;
}

export function emptyCounts(): RunCounts {
  return { read: 0, created: 0, updated: 0, unchanged: 0, waiting: 0, held: 0, skipped: 0, failed: 0, dead: 0 };
}
