/**
 * One flow inside the daemon: its runs happen one at a time. A scheduled tick that finds the flow
 * still running is skipped (the next tick sweeps); webhook record ids are collected while a run is in
 * progress and synced by the next run, so a webhook and a sweep never write the same record at once.
 * Across daemon processes the ledger's run lock does the same job: a run refused by another
 * process's lock is a skipped tick, and webhook ids wait and are tried again.
 */
import type { RunSelection } from '../engine/runner.js';
import type { Flow } from '../flow/types.js';
import type { Logger } from '../log.js';

export type Job = { trigger: 'schedule' | 'webhook'; selection: RunSelection };

/** Runs one job; resolves to 'busy' when another process holds the flow's lock. */
export type JobRunner = (flow: Flow, job: Job, signal: AbortSignal) => Promise<'done' | 'busy'>;

const BUSY_RETRY_MS = 5_000;
/** Webhook ids synced per run; more wait for the next run (which starts at once). */
const MAX_IDS_PER_RUN = 500;

export class FlowWorker {
  private current?: Promise<void>;
  private sweepWanted = false;
  private readonly ids = new Set<string>();
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly flow: Flow,
    private readonly runJob: JobRunner,
    private readonly signal: AbortSignal,
    private readonly logger: Logger,
  ) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** A cron tick: sweep now, unless a run is still going. Resolves when the run it started (or found) ends. */
  tick(): Promise<void> {
    if (this.current) {
      this.logger.info(`scheduled run skipped: the previous run is still going`, { flow: this.flow.name });
      return this.current;
    }
    if (this.stopped) return Promise.resolve();
    return this.start({ trigger: 'schedule', selection: { kind: 'incremental' } });
  }

  /** A webhook named records of the flow's source entity: sync them as soon as the flow is free. */
  records(ids: string[]): void {
    for (const id of ids) this.ids.add(id);
    this.next();
  }

  /** A webhook for a related entity (a transaction of an order): sweep the flow as soon as it is free. */
  sweep(): void {
    this.sweepWanted = true;
    this.next();
  }

  /** Takes no new work; resolves when the run in flight has recorded its outcome. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.current;
  }

  /** Ids still waiting for a run (for shutdown logs and tests). */
  get queued(): number {
    return this.ids.size;
  }

  private next(): void {
    if (this.current || this.stopped || this.retryTimer) return;
    if (this.ids.size) {
      const ids = [...this.ids].slice(0, MAX_IDS_PER_RUN);
      for (const id of ids) this.ids.delete(id);
      this.start({ trigger: 'webhook', selection: { kind: 'records', ids, force: false } }, ids);
    } else if (this.sweepWanted) {
      this.sweepWanted = false;
      this.start({ trigger: 'webhook', selection: { kind: 'incremental' } });
    }
  }

  private start(job: Job, ids: string[] = []): Promise<void> {
    const run = this.runJob(this.flow, job, this.signal)
      .then((outcome) => {
        if (outcome !== 'busy') return;
        if (job.trigger === 'schedule') {
          this.logger.info(`scheduled run skipped: another process is running the flow`, { flow: this.flow.name });
          return;
        }
        // Another daemon holds the flow: keep the webhook's work and try again shortly.
        for (const id of ids) this.ids.add(id);
        if (job.selection.kind === 'incremental') this.sweepWanted = true;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.next();
        }, BUSY_RETRY_MS);
        this.retryTimer.unref();
      })
      .catch((error: unknown) => {
        // A run that throws has already recorded its failure; the worker keeps serving the flow.
        this.logger.error(`run could not complete`, { flow: this.flow.name, error: (error as Error).message });
      })
      .finally(() => {
        this.current = undefined;
        this.next();
      });
    this.current = run;
    return run;
  }
}
