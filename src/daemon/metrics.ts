/**
 * Prometheus metrics of the daemon, served at `/metrics`, so an ops team alerts from the tools it
 * already runs. One registry per daemon (not prom-client's global one), so tests and two daemons in
 * one process never share counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Flow } from '../flow/types.js';
import type { RecordStore, RunCounts } from '../ledger/ledger.js';
import type { RunResult } from '../engine/runner.js';

const OUTCOMES: (keyof RunCounts)[] = ['created', 'updated', 'unchanged', 'waiting', 'held', 'skipped', 'failed', 'dead'];

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly records: Counter<'flow' | 'outcome'>;
  private readonly recordsRead: Counter<'flow'>;
  private readonly runs: Counter<'flow' | 'trigger' | 'status'>;
  private readonly runSeconds: Histogram<'flow'>;
  private readonly retries: Counter<'flow'>;
  private readonly rateLimited: Counter<'flow'>;
  private readonly webhooks: Counter<'connection' | 'result'>;
  private readonly running: Gauge<'flow'>;

  /**
   * `connections`: the configured ones. A webhook posted to any other path is counted under "(unknown)",
   * so anyone who can reach the port cannot make a label (a series) per path they invent.
   */
  constructor(ledger: Pick<RecordStore, 'countByStatus'>, flows: Flow[], private readonly connections: ReadonlySet<string>) {
    const registers = [this.registry];
    this.records = new Counter({ name: 'ferry_records_total', help: 'Records processed, by flow and outcome.', labelNames: ['flow', 'outcome'], registers });
    this.recordsRead = new Counter({ name: 'ferry_records_read_total', help: 'Source records read, by flow.', labelNames: ['flow'], registers });
    this.runs = new Counter({ name: 'ferry_runs_total', help: 'Runs finished, by flow, trigger and status.', labelNames: ['flow', 'trigger', 'status'], registers });
    this.runSeconds = new Histogram({
      name: 'ferry_run_duration_seconds',
      help: 'Wall time of each run.',
      labelNames: ['flow'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    this.retries = new Counter({ name: 'ferry_retries_total', help: 'Requests retried after a transient error.', labelNames: ['flow'], registers });
    this.rateLimited = new Counter({ name: 'ferry_rate_limited_total', help: 'Responses with HTTP 429 (rate limited).', labelNames: ['flow'], registers });
    this.webhooks = new Counter({ name: 'ferry_webhook_deliveries_total', help: 'Webhook deliveries, by connection and result.', labelNames: ['connection', 'result'], registers });
    this.running = new Gauge({ name: 'ferry_flow_running', help: '1 while a run of the flow is in progress in this daemon.', labelNames: ['flow'], registers });
    new Gauge({
      name: 'ferry_dead_letter_records',
      help: 'Records in the dead-letter list now, by flow.',
      labelNames: ['flow'],
      registers,
      // Read from the ledger at scrape time, so it is right across daemons and manual commands.
      async collect() {
        for (const flow of flows) this.set({ flow: flow.name }, (await ledger.countByStatus(flow.name)).dead ?? 0);
      },
    });
    for (const flow of flows) this.running.set({ flow: flow.name }, 0);
  }

  runStarted(flow: string): void {
    this.running.set({ flow }, 1);
  }

  /** Another process holds the flow's lock: nothing ran. */
  runRefused(flow: string): void {
    this.running.set({ flow }, 0);
  }

  runEnded(flow: string, trigger: string, result: RunResult | undefined, seconds: number): void {
    this.running.set({ flow }, 0);
    this.runSeconds.observe({ flow }, seconds);
    this.runs.inc({ flow, trigger, status: result?.status ?? 'failed' });
    if (!result) return;
    this.recordsRead.inc({ flow }, result.counts.read);
    for (const outcome of OUTCOMES) if (result.counts[outcome]) this.records.inc({ flow, outcome }, result.counts[outcome]);
  }

  retried(flow: string, status: number | undefined): void {
    this.retries.inc({ flow });
    if (status === 429) this.rateLimited.inc({ flow });
  }

  webhook(connection: string, result: 'accepted' | 'duplicate' | 'rejected'): void {
    this.webhooks.inc({ connection: this.connections.has(connection) ? connection : '(unknown)', result });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
