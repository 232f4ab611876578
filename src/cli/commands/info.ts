import { resolve } from 'node:path';
import { parseSince } from '../../flow/duration.js';
import { writeOwnerOnlyFile } from '../../owner-only.js';
import { recordPresenter } from '../../report/present.js';
import { buildSyncInfo } from '../../report/sync-info.js';
import { renderHtml } from '../../report/render-html.js';
import { renderTerminal } from '../../report/render-terminal.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/** One record needing attention, as `--attention` exports it. */
interface AttentionRow {
  flow: string;
  sourceId: string;
  status: string;
  reason: string;
  since: string | undefined;
  attempts: number | undefined;
  fix: string;
}

const ATTENTION_COLUMNS: (keyof AttentionRow)[] = ['flow', 'sourceId', 'status', 'reason', 'since', 'attempts', 'fix'];

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
function csvField(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `ferry info [FLOW] [--since 24h] [--json] [--html FILE] [--attention [--csv]]`: the sync-info report. */
export async function infoCommand(app: App, io: CliIo, flowName: string | undefined, options: { since?: string; json?: boolean; html?: string; attention?: boolean; csv?: boolean }): Promise<ExitCode> {
  let since: Date | undefined;
  try {
    since = options.since ? parseSince(options.since) : undefined;
  } catch (error) {
    io.err((error as Error).message);
    return EXIT.usage;
  }
  const flows = flowName ? [app.flow(flowName)] : app.flows();
  const info = await buildSyncInfo(app.ledger, flows, { since, present: recordPresenter(app.registry, app.config.connections) });
  if (options.attention) {
    const rows: AttentionRow[] = info.flows.flatMap((f) => f.failures.map((r) => ({ flow: f.name, sourceId: r.sourceId, status: r.status, reason: r.reason, since: r.since, attempts: r.attempts, fix: r.resyncCommand })));
    if (options.csv) io.out([ATTENTION_COLUMNS.join(','), ...rows.map((row) => ATTENTION_COLUMNS.map((c) => csvField(row[c])).join(','))].join('\n'));
    else io.out(JSON.stringify(rows, null, 2));
    return EXIT.ok;
  }
  if (options.csv) {
    io.err('--csv goes with --attention: it exports the records that need attention');
    return EXIT.usage;
  }
  if (options.html) {
    const file = resolve(app.cwd, options.html);
    writeOwnerOnlyFile(file, renderHtml(info));
    io.out(`HTML report written to ${file}`);
    if (!options.json) return EXIT.ok;
  }
  io.out(options.json ? JSON.stringify(info, null, 2) : renderTerminal(info, io.color));
  return EXIT.ok;
}
