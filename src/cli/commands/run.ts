import { dependencyOrder } from '../../flow/load.js';
import type { Flow } from '../../flow/types.js';
import { runFlow, type DryRunLine, type RunOptions, type RunResult, type RunSelection } from '../../engine/runner.js';
import type { RunTrigger } from '../../ledger/ledger.js';
import { sendRunAlert } from '../../report/alert.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { NO_PROGRESS, progressFor } from '../progress.js';
import { table } from '../table.js';

export interface RunCommandOptions {
  all?: boolean;
  dryRun?: boolean;
  show?: boolean;
  full?: boolean;
  json?: boolean;
}

/** `ferry run FLOW... | --all`: runs flows in dependency order and prints what each did. */
export async function runCommand(app: App, io: CliIo, names: string[], options: RunCommandOptions): Promise<ExitCode> {
  if (!names.length && !options.all) {
    io.err('name one or more flows, or use --all (ferry run --help)');
    return EXIT.usage;
  }
  if (options.show && !options.dryRun) {
    io.err('--show goes with --dry-run: it shows what a run would send, without sending it');
    return EXIT.usage;
  }
  const flows = options.all ? app.flows() : names.map((n) => app.flow(n));
  const selection: RunSelection = { kind: 'incremental', full: options.full };
  return executeRuns(app, io, dependencyOrder(flows), { trigger: 'manual', selection, dryRun: options.dryRun, show: options.show }, options.json);
}

/** Shared by `run` and `resync`: progress, dry-run lines, the summary table and the exit code. */
export async function executeRuns(
  app: App,
  io: CliIo,
  flows: Flow[],
  base: { trigger: RunTrigger; selection: RunSelection; dryRun?: boolean; show?: boolean },
  json?: boolean,
): Promise<ExitCode> {
  for (const flow of flows) {
    app.connections.assertUsable(flow.source.connector, flow.source.connection);
    app.connections.assertUsable(flow.target.connector, flow.target.connection);
  }
  const results: (RunResult & { seconds: number })[] = [];
  const dryRunLines: DryRunLine[] = [];
  for (const flow of flows) {
    const progress = app.options.quiet ? NO_PROGRESS : progressFor(io, flow.name);
    const started = performance.now();
    const options: RunOptions = {
      ...base,
      onProgress: (p) => progress.update(p.processed, p.counts, p.total),
      onWait: (w) => progress.wait(w.what, w.ms),
      onDryRun: (line) => (json ? dryRunLines.push(line) : io.out(dryRunText(line))),
    };
    try {
      const result = await runFlow(flow, { ledger: app.ledger, connections: app.connections, logger: app.logger, leaseMs: app.config.lockLeaseMs }, options);
      results.push({ ...result, seconds: (performance.now() - started) / 1000 });
      if (!base.dryRun) await sendRunAlert(flow, result, app.alertDeps);
    } finally {
      progress.stop();
    }
  }
  if (json) {
    io.out(JSON.stringify({ dryRun: base.dryRun === true, runs: results, records: base.dryRun ? dryRunLines : undefined }, null, 2));
  } else {
    io.out(summaryTable(results));
    for (const r of results) if (r.message) io.out(`${r.flow}: ${r.message}`);
    const troubled = results.filter((r) => r.status !== 'succeeded');
    if (troubled.length && !base.dryRun) io.out(`\nSee the reasons with: ferry info ${troubled.length === 1 ? troubled[0]!.flow : ''}`.trimEnd());
  }
  return results.every((r) => r.status === 'succeeded') ? EXIT.ok : EXIT.recordsFailed;
}

function dryRunText(line: DryRunLine): string {
  const target = line.targetId ? ` → ${line.targetId}` : '';
  const reason = line.reason ? `  (${line.reason})` : '';
  const lines = [`${line.action.padEnd(9)} ${line.flow}/${line.sourceId}${target}${reason}`];
  const section = (title: string, entries: string[]) => entries.forEach((entry, i) => lines.push(`    ${(i ? '' : title).padEnd(8)} ${entry}`));
  const value = (v: unknown) => JSON.stringify(v) ?? 'nothing';
  if (line.source) section('reads', Object.entries(line.source).map(([path, v]) => `${path}: ${value(v)}`));
  if (line.payload) section('sends', Object.entries(line.payload).map(([field, v]) => `${field}: ${value(v)}`));
  if (line.changes) section('changes', Object.keys(line.changes).length ? Object.entries(line.changes).map(([field, c]) => `${field}: ${value(c.from)} → ${value(c.to)}`) : ['none: the target already holds all of it']);
  return lines.join('\n');
}

function summaryTable(results: (RunResult & { seconds: number })[]): string {
  return table(
    ['flow', 'status', 'read', 'created', 'updated', 'unchanged', 'waiting', 'held', 'skipped', 'failed', 'dead', 'seconds'],
    results.map((r) => [
      r.flow,
      r.status,
      r.counts.read,
      r.counts.created,
      r.counts.updated,
      r.counts.unchanged,
      r.counts.waiting,
      r.counts.held,
      r.counts.skipped,
      r.counts.failed,
      r.counts.dead,
      r.seconds.toFixed(1),
    ]),
  );
}
