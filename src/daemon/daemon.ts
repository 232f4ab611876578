/**
 * `ferry daemon`: every flow on its cron schedule (each slot once across daemons: schedule.ts), webhooks
 * in, `/metrics` and `/healthz` out, all on one HTTP port. Stopping takes no new work, lets each run finish the batch in flight and
 * record it, and gives up after the grace period: anything a hard stop leaves `pending` is settled by
 * the flow's next run, which asks the target what happened before writing again.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScheduledTask } from 'node-cron';
import type { ConnectionSettings, ConnectorRegistry, WebhookEvent } from '../connector/types.js';
import type { Connections } from '../engine/connections.js';
import { newLockOwner } from '../engine/lock-owner.js';
import { FlowBusyError, runFlow, type RunResult } from '../engine/runner.js';
import type { Flow } from '../flow/types.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log.js';
import { sendRunAlert } from '../report/alert.js';
import { FlowWorker, type Job } from './flow-worker.js';
import type { JobQueue } from './job-queue.js';
import { serveLivePage } from './live-page.js';
import { ledgerSlots, scheduleFlow } from './schedule.js';
import { DaemonMetrics } from './metrics.js';
import { WEBHOOK_PATH, WebhookReceiver } from './webhook-receiver.js';

export interface DaemonOptions {
  flows: Flow[];
  ledger: Ledger;
  connections: Connections;
  connectionSettings: ReadonlyMap<string, ConnectionSettings>;
  registry: ConnectorRegistry;
  logger: Logger;
  alerts: ReadonlyMap<string, string>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  maxBodyBytes: number;
  publicUrl?: string;
  /** Bearer token the live page at `/` asks for when the daemon listens beyond loopback. */
  pageToken?: string;
  /** Daemons on several machines (a PostgreSQL ledger): scheduled and webhook runs are jobs in this queue, taken by any of them. */
  queue?: JobQueue;
  /** Run lock owner; distinct per daemon. */
  owner?: string;
  /** How long a run's lock lasts without renewal. */
  leaseMs?: number;
  now?: () => Date;
  /** Fires when a run ends (tests, the CLI's summary line). */
  onRunEnded?(flow: string, trigger: Job['trigger'], result: RunResult): void;
}

export class Daemon {
  readonly metrics: DaemonMetrics;
  private readonly workers = new Map<string, FlowWorker>();
  private readonly tasks: ScheduledTask[] = [];
  private readonly controller = new AbortController();
  private readonly owner: string;
  private server?: Server;
  private stopping?: Promise<boolean>;

  constructor(private readonly options: DaemonOptions) {
    this.metrics = new DaemonMetrics(options.ledger, options.flows, new Set(options.connectionSettings.keys()));
    this.owner = options.owner ?? newLockOwner();
    for (const flow of options.flows) {
      this.workers.set(flow.name, new FlowWorker(flow, (f, job, signal) => this.runJob(f, job, signal), this.controller.signal, options.logger));
    }
  }

  /** Starts the schedules and the HTTP server; resolves to the server's base URL. */
  async start(): Promise<string> {
    const { options } = this;
    const slots = ledgerSlots(options.ledger, this.owner, options.now);
    const queue = options.queue;
    await queue?.start(options.flows, (flow, job) => this.runJob(flow, job, this.controller.signal));
    for (const worker of this.workers.values()) {
      const schedule = worker.flow.run.schedule;
      if (!schedule) continue;
      // The daemon that claims a slot enqueues the sweep; whichever daemon is free runs it.
      const tick = queue ? () => queue.sweep(worker.flow.name, 'schedule') : () => worker.tick();
      this.tasks.push(scheduleFlow(worker.flow, schedule, tick, slots, options.logger));
      options.logger.info(`scheduled`, { flow: worker.flow.name, schedule, timezone: worker.flow.run.timezone ?? 'local' });
    }
    const receiver = new WebhookReceiver({
      registry: options.registry,
      connections: options.connectionSettings,
      ledger: options.ledger,
      logger: options.logger,
      maxBodyBytes: options.maxBodyBytes,
      publicUrl: options.publicUrl,
      now: options.now,
      onEvents: (connection, events) => this.dispatch(connection, events),
      onResult: (connection, result) => this.metrics.webhook(connection, result),
    });
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0]!;
      this.route(receiver, path, request, response).catch((error: unknown) => {
        options.logger.error(`http request failed`, { path, error: (error as Error).message });
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(options.port, options.host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    return `http://${options.host}:${port}`;
  }

  /** Sweeps these flows now, one after another (dependency order is the caller's): `--run-now`. */
  async runNow(flows: Flow[]): Promise<void> {
    for (const flow of flows) await this.workers.get(flow.name)?.tick();
  }

  /** Resolves to true when every run finished within the grace period. */
  stop(graceMs: number): Promise<boolean> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  private async shutdown(graceMs: number): Promise<boolean> {
    const { logger } = this.options;
    const running = [...this.workers.values()].filter((w) => w.busy).map((w) => w.flow.name);
    logger.info(`stopping: no new runs; finishing the batch in flight`, { running, graceMs });
    for (const task of this.tasks) await task.destroy();
    this.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all([...[...this.workers.values()].map((w) => w.stop()), this.options.queue?.stop(graceMs)]).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    // Answering until the runs have ended: health checks see 503 "stopping", not a refused connection.
    await new Promise<void>((resolve) => {
      if (!this.server?.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    if (finished) logger.info(`stopped cleanly`);
    else logger.error(`grace period passed with runs still in flight; their pending writes are settled by the next run`, { graceMs });
    return finished;
  }

  /** One port: webhooks, Prometheus metrics, health. */
  private async route(receiver: WebhookReceiver, path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const webhook = WEBHOOK_PATH.exec(path);
    if (webhook && this.stopping) {
      // Not taken while stopping: a 503 makes the vendor deliver again, to whichever daemon runs next.
      request.resume();
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '30', connection: 'close' }).end('{"error":"stopping"}');
      return;
    }
    if (webhook) return receiver.handle(request, response, webhook[1]!);
    if (path === '/metrics') {
      const text = await this.metrics.text();
      response.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text);
      return;
    }
    if (path === '/healthz') return this.health(response);
    if (path === '/') {
      const { ledger, flows, registry, connectionSettings, host, pageToken } = this.options;
      return serveLivePage({ ledger, flows, registry, connectionSettings, host, token: pageToken }, request, response);
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  }

  private health(response: ServerResponse): void {
    const flows = [...this.workers.values()].map((w) => ({ flow: w.flow.name, running: w.busy, queuedRecords: w.queued }));
    response.writeHead(this.stopping ? 503 : 200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: this.stopping ? 'stopping' : 'ok', flows }));
  }

  private async dispatch(connection: string, events: WebhookEvent[]): Promise<void> {
    const queued: Promise<void>[] = [];
    for (const worker of this.workers.values()) {
      const { flow } = worker;
      if (flow.source.connection !== connection) continue;
      const relevant = events.filter((e) => flow.run.webhook.includes(e.topic));
      if (!relevant.length) continue;
      const ids = relevant.filter((e) => e.entity === flow.source.entity).flatMap((e) => e.ids);
      // An event about a related entity (a transaction, a refund) cannot name the flow's records: sweep instead.
      const sweep = relevant.some((e) => e.entity !== flow.source.entity);
      this.options.logger.info(`webhook queued`, { flow: flow.name, connection, topics: [...new Set(relevant.map((e) => e.topic))], records: ids.length, sweep });
      if (this.options.queue) {
        // Queued in the database before the vendor is answered: if this daemon dies now, another takes the job.
        if (ids.length) queued.push(this.options.queue.records(flow.name, ids));
        if (sweep) queued.push(this.options.queue.sweep(flow.name, 'webhook'));
        continue;
      }
      if (ids.length) worker.records(ids);
      if (sweep) worker.sweep();
    }
    await Promise.all(queued);
  }

  private async runJob(flow: Flow, job: Job, signal: AbortSignal): Promise<'done' | 'busy'> {
    const { options } = this;
    const started = performance.now();
    this.metrics.runStarted(flow.name);
    let result: RunResult | undefined;
    try {
      result = await runFlow(
        flow,
        {
          ledger: options.ledger,
          connections: options.connections,
          logger: options.logger,
          owner: this.owner,
          leaseMs: options.leaseMs,
          now: options.now,
          retryHooks: { onRetry: (error) => this.metrics.retried(flow.name, error.status) },
        },
        { trigger: job.trigger, selection: job.selection, signal },
      );
    } catch (error) {
      if (error instanceof FlowBusyError) {
        this.metrics.runRefused(flow.name);
        return 'busy';
      }
      this.metrics.runEnded(flow.name, job.trigger, undefined, (performance.now() - started) / 1000);
      throw error;
    }
    this.metrics.runEnded(flow.name, job.trigger, result, (performance.now() - started) / 1000);
    options.onRunEnded?.(flow.name, job.trigger, result);
    await sendRunAlert(flow, result, { ledger: options.ledger, logger: options.logger, destinations: options.alerts, now: options.now });
    return 'done';
  }
}
