import { resolve } from 'node:path';
import { parseSince } from '../../flow/duration.js';
import { writeOwnerOnlyFile } from '../../owner-only.js';
import { buildSyncInfo } from '../../report/sync-info.js';
import { renderHtml } from '../../report/render-html.js';
import { renderTerminal } from '../../report/render-terminal.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/** `ferry info [FLOW] [--since 24h] [--json]`: the sync-info report. */
export async function infoCommand(app: App, io: CliIo, flowName: string | undefined, options: { since?: string; json?: boolean; html?: string }): Promise<ExitCode> {
  let since: Date | undefined;
  try {
    since = options.since ? parseSince(options.since) : undefined;
  } catch (error) {
    io.err((error as Error).message);
    return EXIT.usage;
  }
  const flows = flowName ? [app.flow(flowName)] : app.flows();
  const info = await buildSyncInfo(app.ledger, flows, { since });
  if (options.html) {
    const file = resolve(app.cwd, options.html);
    writeOwnerOnlyFile(file, renderHtml(info));
    io.out(`HTML report written to ${file}`);
    if (!options.json) return EXIT.ok;
  }
  io.out(options.json ? JSON.stringify(info, null, 2) : renderTerminal(info, io.color));
  return EXIT.ok;
}
