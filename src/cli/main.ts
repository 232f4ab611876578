/**
 * The `ferry` command line. Exit codes: 0 ok, 1 records failed (or a mismatch), 2 usage or configuration error.
 * Errors a user can fix are printed as one clear message, never as a stack trace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import type { ConnectorRegistry } from '../connector/types.js';
import { ConfigError, displayPath, FerryError, formatDiagnostic } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import type { App, GlobalOptions } from './app.js';
import { DEFAULT_CONFIG } from './default-config.js';
import type { DecisionOptions } from './commands/decision.js';
import type { ResyncOptions } from './commands/resync.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { type CliIo, processIo } from './io.js';
import { RECORD_STATUSES, type SelectionOptions } from './selection.js';
import { DATA_SIZES } from '../../emulators/seed.js';

export interface MainOptions {
  io?: CliIo;
  /**
   * The connectors, handed in by whoever starts Ferry (bin/ferry, a test), so the engine never imports
   * them: a loader is called only when a command needs them, and `--help` loads none.
   */
  registry: ConnectorRegistry | (() => Promise<ConnectorRegistry>);
  cwd?: string;
  /** For long-running commands (emulate): resolves when they should stop. Default: SIGINT or SIGTERM. */
  until?: Promise<void>;
  /** Told the daemon's URL once it listens (tests). */
  onListening?(url: string): void;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export async function main(argv: string[], options: MainOptions): Promise<ExitCode> {
  const io = options.io ?? processIo();
  let exitCode: ExitCode = EXIT.ok;
  let app: App | undefined;
  // Each command, the app and the connectors are loaded when a command runs: `--help` loads none of them.
  const appFor = async (command: Command): Promise<App> => {
    if (!app) {
      const { App } = await import('./app.js');
      const registry = typeof options.registry === 'function' ? await options.registry() : options.registry;
      app = new App(registry, command.optsWithGlobals<GlobalOptions>(), options.cwd);
    }
    return app;
  };
  /** Commands that talk to the services run inside the demo's emulators when --demo is given. */
  const connected = async (command: Command, work: (app: App) => Promise<ExitCode>): Promise<ExitCode> => {
    const current = await appFor(command);
    return current.options.demo ? (await import('./commands/demo.js')).withDemoEmulators(current, io, {}, () => work(current)) : work(current);
  };

  const program = new Command('ferry')
    .description('Order-to-cash integration runtime: moves records between Shopify, HubSpot, Stripe and QuickBooks Online.')
    .option('-c, --config <path>', `config file (default: ${DEFAULT_CONFIG} if present)`)
    .option('--ledger <path>', 'SQLite ledger file (default: .ferry/ledger.db, or the config file’s)')
    .option('-v, --verbose', 'log debug lines on the console')
    .option('-q, --quiet', 'log only errors on the console')
    .option('--demo', "use the demo's emulators (their state in .ferry/emulators) as the connections, e.g. ferry --demo reconcile")
    .version(packageVersion(), '-V, --version', "print Ferry's version")
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('validate')
    .description('check flow files and print every mistake as file:line:column field: message')
    .argument('[files...]', 'flow files or directories (default: the flows directory)')
    .option('--json', 'print the result as JSON')
    .option('--online', "also read one page of each flow's source and warn about source paths no record has")
    .action(async (files: string[], opts: { json?: boolean; online?: boolean }, command: Command) => {
      exitCode = opts.online ? await connected(command, async (a) => (await import('./commands/validate.js')).validateCommand(a, io, files, opts)) : await (await import('./commands/validate.js')).validateCommand(await appFor(command), io, files, opts);
    });

  program
    .command('run')
    .description('run flows now, incrementally from where they left off')
    .argument('[flows...]', 'flow names')
    .option('--all', 'run every flow, in dependency order')
    .option('--dry-run', 'show what would happen to each record; write nothing')
    .option('--show', 'with --dry-run: each record\'s source fields read, the payload it would send, and for an update what would change')
    .option('--full', 'read the whole source instead of from the saved cursor (unchanged records still cost no writes)')
    .option('--json', 'print the results as JSON')
    .action(async (flows: string[], opts: { all?: boolean; dryRun?: boolean; show?: boolean; full?: boolean; json?: boolean }, command: Command) => {
      exitCode = await connected(command, async (a) => (await import('./commands/run.js')).runCommand(a, io, flows, opts));
    });

  program
    .command('resync')
    .description('send chosen records again after their cause is fixed')
    .argument('<flow>', 'flow name')
    .option('--record <ids...>', 'source record ids')
    .option('--failed', 'every failed and dead-lettered record of the flow')
    .option('--all', 'every record of the flow the ledger knows')
    .option('--status <statuses...>', `records in these statuses (${RECORD_STATUSES.filter((s) => s !== 'pending').join(', ')})`)
    .option('--matching <text>', 'records whose reason contains this text (failed and dead-lettered ones, or those of --status)')
    .option('--since <date>', 'records updated since an ISO date or a duration ago (24h, 7d)')
    .option('--until <date>', 'with --since: records updated before this date')
    .option('--dry-run', 'show what would happen; write nothing')
    .option('--json', 'print the results as JSON')
    .action(async (flow: string, opts: ResyncOptions, command: Command) => {
      exitCode = await connected(command, async (a) => (await import('./commands/resync.js')).resyncCommand(a, io, flow, opts));
    });

  program
    .command('info')
    .description('sync-info report: runs, counts, rates, top errors and the records that need attention')
    .argument('[flow]', 'one flow (default: all)')
    .option('--since <period>', 'cover runs since a duration ago (24h, 7d) or an ISO date')
    .addOption(new Option('--json', 'print the report as JSON (schema: config/schemas/sync-info.schema.json)'))
    .option('--html <file>', 'write the report as one self-contained HTML page, with a chart of each run')
    .option('--attention', 'export every record that needs attention, with its reason and fix (JSON, or --csv)')
    .option('--csv', 'with --attention: as CSV')
    .action(async (flow: string | undefined, opts: { since?: string; json?: boolean; html?: string; attention?: boolean; csv?: boolean }, command: Command) => {
      exitCode = await (await import('./commands/info.js')).infoCommand(await appFor(command), io, flow, opts);
    });

  withSelection(
    program
      .command('approve')
      .description("release records a rule held (a credit check); the flow's next run books them")
      .argument('<flow>')
      .argument('[ids...]', 'source record ids (or choose them with --all, --matching, --since)')
      .option('--now', 'run the flow for these records at once, then the records of other flows waiting on them'),
    'held',
  ).action(async (flow: string, ids: string[], opts: SelectionOptions & { now?: boolean }, command: Command) => {
    exitCode = await connected(command, async (a) => (await import('./commands/approve.js')).approveCommand(a, io, flow, ids, opts));
  });

  withSelection(
    program
      .command('reject')
      .description('refuse held records on purpose: they are dead-lettered with the reason')
      .argument('<flow>')
      .argument('[ids...]', 'source record ids (or choose them with --all, --matching, --since)')
      .requiredOption('--reason <text>', "why; kept in each record's history"),
    'held',
  ).action(async (flow: string, ids: string[], opts: DecisionOptions, command: Command) => {
    exitCode = await (await import('./commands/approve.js')).rejectCommand(await appFor(command), io, flow, ids, opts);
  });

  program
    .command('apply')
    .description('apply a payment no invoice claimed to the invoice you choose (cash application by hand), through the flow\'s target')
    .argument('<flow>', 'the payments flow')
    .argument('<payment>', "the payment's source record id")
    .requiredOption('--to <invoice>', 'the invoice, by the number people know it by (or its id in the target)')
    .option('--amount <amount>', "how much to apply, e.g. 120.50 (default: as much as the payment and the invoice's balance allow)")
    .action(async (flow: string, payment: string, opts: { to: string; amount?: string }, command: Command) => {
      exitCode = await connected(command, async (a) => (await import('./commands/apply.js')).applyCommand(a, io, flow, payment, opts));
    });

  program
    .command('connect')
    .description("complete a vendor's authorisation for a connection in a browser (QuickBooks), keeping what it grants in the secrets file")
    .argument('<connection>', 'connection name in the config file')
    .action(async (connection: string, _opts: unknown, command: Command) => {
      exitCode = await (await import('./commands/connect.js')).connectCommand(await appFor(command), io, connection);
    });

  program
    .command('check')
    .description("check every connection: reachable, authenticated, which account, and what in it stops the flows that use it")
    .option('--fix', "create what can safely be created (HubSpot's ferry_ properties)")
    .option('--json', 'print the findings as JSON')
    .action(async (opts: { fix?: boolean; json?: boolean }, command: Command) => {
      exitCode = await connected(command, async (a) => (await import('./commands/check.js')).checkCommand(a, io, opts));
    });

  program
    .command('reconcile')
    .description('compare counts and money totals between each flow\'s source and target, read through the connectors; exit 1 on a mismatch')
    .argument('[flows...]', 'flows with a reconcile section (default: all of them)')
    .option('--from <day>', 'first UTC day of the period, YYYY-MM-DD')
    .option('--to <day>', 'UTC day the period ends before, YYYY-MM-DD')
    .option('--json', 'print the result as JSON')
    .action(async (flows: string[], opts: { from?: string; to?: string; json?: boolean }, command: Command) => {
      exitCode = await connected(command, async (a) => (await import('./commands/reconcile.js')).reconcileCommand(a, io, flows, opts));
    });

  program
    .command('trace')
    .description('a record\'s lineage across systems, both ways: what it became, what it refers to, what refers to it')
    .argument('<record>', 'SYSTEM/ENTITY/ID, e.g. shopify/orders/1001, quickbooks/payment/88')
    .option('--json', 'print the trace as JSON')
    .action(async (record: string, opts: { json?: boolean }, command: Command) => {
      exitCode = await (await import('./commands/trace.js')).traceCommand(await appFor(command), io, record, opts);
    });

  const deadLetter = program.command('dead-letter').description('records that could not be delivered: list, inspect, discard (resend with ferry resync)');
  deadLetter
    .command('list')
    .description('every dead-lettered record, with its error class, reason and attempts')
    .argument('[flow]', 'one flow (default: all)')
    .option('--json', 'print as JSON')
    .action(async (flow: string | undefined, opts: { json?: boolean }, command: Command) => {
      exitCode = await (await import('./commands/dead-letter.js')).deadLetterList(await appFor(command), io, flow, opts);
    });
  deadLetter
    .command('show')
    .description('the source record, the mapped payload and every attempt of one record')
    .argument('<flow>')
    .argument('<id>', 'source record id')
    .option('--json', 'print as JSON')
    .action(async (flow: string, id: string, opts: { json?: boolean }, command: Command) => {
      exitCode = await (await import('./commands/dead-letter.js')).deadLetterShow(await appFor(command), io, flow, id, opts);
    });
  deadLetter
    .command('edit')
    .description("correct the payload of a dead-lettered, failed or held record in $EDITOR (or from --payload FILE), check it against the target's schema and send it once")
    .argument('<flow>')
    .argument('<id>', 'source record id')
    .option('--payload <file>', 'the corrected payload as a JSON file, instead of opening an editor')
    .action(async (flow: string, id: string, opts: { payload?: string }, command: Command) => {
      exitCode = await connected(command, async (a) => (await import('./commands/edit.js')).editCommand(a, io, flow, id, opts));
    });
  withSelection(
    deadLetter
      .command('discard')
      .description("give up on dead-lettered records on purpose (kept in each one's history): by id, or a selection")
      .argument('<flow>')
      .argument('[ids...]', 'source record ids')
      .requiredOption('--reason <text>', "why; kept in each record's history"),
    'dead-lettered',
  ).action(async (flow: string, ids: string[], opts: DecisionOptions, command: Command) => {
    exitCode = await (await import('./commands/dead-letter.js')).deadLetterDiscard(await appFor(command), io, flow, ids, opts);
  });

  program
    .command('demo')
    .description('run every shipped flow against local emulators of the four services, then show the sync-info report')
    .option('--reset', 'forget the demo business and ledger, and start over')
    .option('--seed <n>', 'seed of the generated business', '1')
    .addOption(new Option('--data-size <size>', 'size of the generated business').choices(DATA_SIZES).default('demo'))
    .option('--activity <n>', 'first add N new events (Shopify orders, payments and refunds; HubSpot deals won; Stripe invoices paid); only those are synced')
    .action(async (opts: { reset?: boolean; seed?: string; dataSize?: string; activity?: string }, command: Command) => {
      exitCode = await (await import('./commands/demo.js')).demoCommand(await appFor(command), io, opts);
    });

  program
    .command('daemon')
    .description('run every flow on its schedule and serve webhooks, /metrics and /healthz on one port, until SIGTERM or Ctrl-C')
    .option('--port <n>', 'HTTP port for webhooks and metrics (default: daemon.webhook_port in the config, 7400)')
    .option('--host <address>', 'address to listen on (default: daemon.webhook_host, 127.0.0.1)')
    .option('--grace <duration>', 'how long a stop waits for runs in flight (default: daemon.grace_period, 30s)')
    .option('--run-now', 'sweep every flow once at start, in dependency order, before waiting for the schedule')
    .action(async (opts: { port?: string; host?: string; grace?: string; runNow?: boolean }, command: Command) => {
      exitCode = await (await import('./commands/daemon.js')).daemonCommand(await appFor(command), io, { ...opts, until: options.until ?? untilSignal(), onListening: options.onListening });
    });

  program
    .command('emulate')
    .description('serve local emulators of the vendor APIs on 127.0.0.1 (ports 7301 Shopify, 7302 HubSpot, 7303 Stripe, 7304 QuickBooks)')
    .argument('[services...]', 'shopify, hubspot, stripe, quickbooks (default: all)')
    .option('--seed <n>', 'seed for generated data, ids and injected faults', '1')
    .option('--faults <spec>', 'inject faults, e.g. 429=0.1,500=0.05,drop=0.02,lost=0.01,timeout=0.01,latency=20ms (drop: cut before the request is carried out; lost: after)')
    .option('--port <n>', 'port of the first service; the others follow')
    .option('--data-size <size>', `load a generated business: ${DATA_SIZES.join(', ')}`, 'demo')
    .option('--state <dir>', 'keep the emulators\' state in this directory across restarts')
    .option('--webhooks <url>', 'send signed webhooks to a Ferry daemon at this base URL (e.g. http://127.0.0.1:7400)')
    .action(async (services: string[], opts: { seed?: string; faults?: string; port?: string; dataSize?: string; state?: string; webhooks?: string }) => {
      exitCode = await (await import('./commands/emulate.js')).emulateCommand(io, services, { ...opts, until: options.until ?? untilSignal() });
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    exitCode = reportError(error, io, app?.cwd ?? options.cwd ?? process.cwd());
  } finally {
    await app?.close();
  }
  return exitCode;
}

/** The options that choose records in bulk for a decision on records that are `words` (held, dead-lettered). */
function withSelection(command: Command, words: string): Command {
  return command
    .option('--all', `every ${words} record of the flow`)
    .option('--matching <text>', 'those whose reason contains this text (any case)')
    .option('--since <period>', `those ${words} since a duration ago (24h, 7d) or an ISO date`)
    .option('--yes', 'go ahead without asking (needed where no one is at a terminal)');
}

function reportError(error: unknown, io: CliIo, cwd: string): ExitCode {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; they have already been printed.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError) {
    if (error.diagnostics.length) for (const d of error.diagnostics) io.err(formatDiagnostic({ ...d, file: displayPath(d.file, cwd) }));
    else io.err(`ferry: ${error.message}`);
    return EXIT.usage;
  }
  if (error instanceof FerryError) {
    io.err(`ferry: ${error.message}`);
    return EXIT.recordsFailed;
  }
  const e = error as NodeJS.ErrnoException;
  io.err(`ferry: ${e?.message ?? String(error)}`);
  if (process.env.FERRY_DEBUG) io.err(String(e?.stack));
  return EXIT.recordsFailed;
}

/** Ferry's version, from its package.json (read once, when asked for the CLI). */
function packageVersion(): string {
  const file = join(PACKAGE_ROOT, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
