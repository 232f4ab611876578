import { Daemon } from '../../daemon/daemon.js';
import { JobQueue } from '../../daemon/job-queue.js';
import { isLoopback } from '../../daemon/live-page.js';
import { isPostgresUrl } from '../../ledger/location.js';
import { parseDuration } from '../../flow/duration.js';
import { dependencyOrder } from '../../flow/load.js';
import { usableConnections } from '../../config/load.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export interface DaemonCommandOptions {
  port?: string;
  host?: string;
  grace?: string;
  runNow?: boolean;
  /** Resolves when the daemon should stop: SIGTERM or SIGINT from the CLI. */
  until: Promise<void>;
  /** Told the daemon's base URL once it listens (tests). */
  onListening?(url: string): void;
}

/** `ferry daemon`: schedules, webhooks, metrics; stops gracefully on SIGTERM/SIGINT. */
export async function daemonCommand(app: App, io: CliIo, options: DaemonCommandOptions): Promise<ExitCode> {
  let graceMs: number;
  try {
    graceMs = parseDuration(options.grace ?? app.config.daemon.gracePeriod);
  } catch (error) {
    io.err(`--grace: ${(error as Error).message}`);
    return EXIT.usage;
  }
  if (!app.options.quiet && !app.options.verbose) app.defaultConsoleLevel = 'info';
  const flows = app.flows();
  const host = options.host ?? app.config.daemon.webhookHost;
  const daemon = new Daemon({
    flows,
    ledger: app.ledger,
    leaseMs: app.config.lockLeaseMs,
    connections: app.connections,
    connectionSettings: usableConnections(app.config),
    registry: app.registry,
    logger: app.logger,
    alerts: app.config.alerts,
    host,
    port: options.port !== undefined ? Number(options.port) : app.config.daemon.webhookPort,
    maxBodyBytes: app.config.daemon.maxBodyBytes,
    publicUrl: app.config.daemon.publicUrl,
    pageToken: app.config.daemon.pageToken,
    // Several daemons on one PostgreSQL ledger share their work through a job queue in the same database.
    queue: isPostgresUrl(app.config.ledgerPath) ? new JobQueue({ connectionString: app.config.ledgerPath, logger: app.logger }) : undefined,
  });
  const url = await daemon.start();
  const scheduled = flows.filter((f) => f.run.schedule);
  io.out(`ferry daemon: ${scheduled.length} of ${flows.length} flows scheduled`);
  for (const flow of scheduled) io.out(`  ${flow.name.padEnd(48)} ${flow.run.schedule}${flow.run.webhook.length ? `  + webhooks ${flow.run.webhook.join(', ')}` : ''}`);
  io.out(`sync-info page: ${url}/   webhooks: ${url}/webhooks/<connection>   metrics: ${url}/metrics   health: ${url}/healthz`);
  io.out(`Stop with Ctrl-C or SIGTERM (grace period ${options.grace ?? app.config.daemon.gracePeriod}).`);
  if (!isLoopback(host) && !app.config.daemon.pageToken) io.out(`The sync-info page is not served on ${host}: set daemon.page_token (a \${ENV} reference) to serve it to those who have the token.`);
  options.onListening?.(url);
  // Not awaited: a stop signal during these runs must still be heard.
  if (options.runNow) void daemon.runNow(dependencyOrder(flows));

  await options.until;
  const clean = await daemon.stop(graceMs);
  io.out(clean ? 'ferry daemon: stopped cleanly' : 'ferry daemon: grace period passed; unfinished writes will be settled by the next run');
  return clean ? EXIT.ok : EXIT.recordsFailed;
}
