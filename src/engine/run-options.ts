/** What a run is asked to do, and what it answers. */
import type { Ledger, RunCounts, RunStatus, RunTrigger } from '../ledger/ledger.js';
import type { Logger } from '../log.js';
import type { Connections } from './connections.js';
import type { DryRunLine } from './dry-run.js';
import type { PayloadEdit } from './edited-write.js';
import type { RetryHooks } from './retry.js';

export interface RunnerDeps {
  ledger: Ledger;
  connections: Connections;
  logger: Logger;
  now?: () => Date;
  retryHooks?: Omit<RetryHooks, 'signal'>;
  /** Identifies this process in run locks. */
  owner?: string;
  /** How long a run's lock lasts unless renewed (config `lock_lease`); renewed every third of it. */
  leaseMs?: number;
}

export type RunSelection =
  | { kind: 'incremental'; full?: boolean }
  /** `force: false` (webhooks) skips records whose output is unchanged, as an incremental run does. */
  | { kind: 'records'; ids: string[]; force?: boolean }
  | { kind: 'failed' }
  | { kind: 'since'; since: Date; until?: Date }
  /** One record sent with the payload a person wrote instead of the mapped one. */
  | { kind: 'edited'; edit: PayloadEdit };

export interface RunOptions {
  trigger: RunTrigger;
  selection?: RunSelection;
  dryRun?: boolean;
  /** Stops the run after the batch in flight (graceful shutdown). */
  signal?: AbortSignal;
  /** After each page: records processed so far, and `total` when the source or the selection knows how many there are. */
  onProgress?(progress: { flow: string; processed: number; total?: number; counts: RunCounts }): void;
  /** Before the run waits to try again: what it waits for ("retry 2 of 4 after 503") and how long. */
  onWait?(wait: { flow: string; what: string; ms: number }): void;
  onDryRun?(line: DryRunLine): void;
  /** With `dryRun`: each line carries the source fields read, the payload, and an update's changes. */
  show?: boolean;
}

export interface RunResult {
  flow: string;
  runId?: number;
  status: RunStatus;
  counts: RunCounts;
  message?: string;
}
