/**
 * Daemons on several machines sharing a PostgreSQL ledger take their work from one job queue in the
 * same database (pg-boss): every scheduled sweep and every webhook's records is a job, taken by one
 * daemon, and retried in another if that one dies (the job expires, pg-boss makes it available again)
 * or finds the flow running elsewhere. The ledger's run lock still keeps one run of a flow at a time.
 *
 * pg-boss rather than graphile-worker: it needs nothing but `pg` (already the ledger's driver), its
 * queue policies say what Ferry needs in one word (a flow's sweeps are `short`: one waiting at most, so
 * sweeps never pile up behind a slow run; not `stately`, whose one running job, if its daemon died,
 * would hold every later sweep back until it expired), and version 10 runs on Node 20, where
 * graphile-worker's current releases need Node 22.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import type PgBoss from 'pg-boss';
import type { Flow } from '../flow/types.js';
import type { Logger } from '../log.js';
import type { Job } from './flow-worker.js';

export interface JobQueueOptions {
  connectionString: string;
  logger: Logger;
  /** How long a taken job may run before pg-boss gives it to another daemon (its taker died). */
  expireInSeconds?: number;
  /** How long a job waits before it is tried again when the flow was running elsewhere. */
  retryDelaySeconds?: number;
  /** How often an idle daemon asks for work. */
  pollingIntervalSeconds?: number;
}

/** Runs one job of a flow; 'busy' when another process holds the flow's lock. */
export type QueuedJobRunner = (flow: Flow, job: Job) => Promise<'done' | 'busy'>;

const SCHEMA = 'ferry_queue';
const SETUP_LOCK = 7_401_772;
const queueName = (flow: string, kind: 'sweep' | 'records') => `ferry.${flow}.${kind}`;

class FlowBusyAgain extends Error {
  constructor(flow: string) {
    super(`flow '${flow}' is running in another daemon; the job is tried again shortly`);
  }
}

export class JobQueue {
  private boss?: PgBoss;

  constructor(private readonly options: JobQueueOptions) {}

  /** Creates each flow's queues and starts taking their jobs. */
  async start(flows: Flow[], run: QueuedJobRunner): Promise<void> {
    const load = createRequire(import.meta.url);
    const PgBossClass = load('pg-boss') as typeof PgBoss;
    const { expireInSeconds = 15 * 60, retryDelaySeconds = 5, pollingIntervalSeconds = 2 } = this.options;
    const boss = new PgBossClass({ connectionString: this.options.connectionString, schema: SCHEMA, max: 4 });
    boss.on('error', (error: Error) => this.options.logger.warn(`job queue: ${error.message}`));
    const retries = { retryLimit: 10_000, retryDelay: retryDelaySeconds, retryBackoff: false, expireInSeconds };
    // Daemons starting together would create the queue's schema and queues at once, and deadlock: one at a time.
    const setup = new (load('pg') as typeof pg).Client({ connectionString: this.options.connectionString });
    await setup.connect();
    try {
      await setup.query('SELECT pg_advisory_lock($1)', [SETUP_LOCK]);
      await boss.start();
      for (const flow of flows) {
        for (const [kind, policy] of [['sweep', 'short'], ['records', 'standard']] as const) {
          const name = queueName(flow.name, kind);
          if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, policy, ...retries });
        }
      }
    } finally {
      await setup.end();
    }
    this.boss = boss;
    for (const flow of flows) {
      for (const kind of ['sweep', 'records'] as const) {
        await boss.work<Job>(queueName(flow.name, kind), { batchSize: 1, pollingIntervalSeconds }, async ([job]) => {
          const outcome = await run(flow, job!.data);
          // A scheduled sweep the flow's running elsewhere makes needless: that run reads the same changes.
          if (outcome === 'busy' && !(kind === 'sweep' && job!.data.trigger === 'schedule')) throw new FlowBusyAgain(flow.name);
        });
      }
    }
  }

  /** A sweep of the flow from its cursor: a scheduled slot this daemon claimed, or a webhook about a related entity. */
  async sweep(flow: string, trigger: Job['trigger']): Promise<void> {
    await this.boss!.send(queueName(flow, 'sweep'), { trigger, selection: { kind: 'incremental' } } satisfies Job);
  }

  /** Records a webhook named: synced by whichever daemon takes the job. */
  async records(flow: string, ids: string[]): Promise<void> {
    await this.boss!.send(queueName(flow, 'records'), { trigger: 'webhook', selection: { kind: 'records', ids, force: false } } satisfies Job);
  }

  /** Takes no new jobs; waits up to `graceMs` for those running. */
  async stop(graceMs: number): Promise<void> {
    await this.boss?.stop({ graceful: true, timeout: graceMs, wait: true });
  }
}
