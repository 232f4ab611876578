import { parseSince } from '../../flow/duration.js';
import type { RunSelection } from '../../engine/runner.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { executeRuns } from './run.js';

export interface ResyncOptions {
  record?: string[];
  failed?: boolean;
  since?: string;
  until?: string;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * `ferry resync FLOW (--record ID... | --failed | --since DATE [--until DATE])`: after the cause is fixed,
 * sends the chosen records again. Records are re-read from the source (or taken from the ledger when the
 * source cannot fetch by id) and written even when their output has not changed.
 */
export async function resyncCommand(app: App, io: CliIo, flowName: string, options: ResyncOptions): Promise<ExitCode> {
  const chosen = [options.record?.length ? 'record' : '', options.failed ? 'failed' : '', options.since ? 'since' : ''].filter(Boolean);
  if (chosen.length !== 1) {
    io.err('choose exactly one of --record ID..., --failed, --since DATE');
    return EXIT.usage;
  }
  let selection: RunSelection;
  try {
    selection = options.record?.length
      ? { kind: 'records', ids: options.record }
      : options.failed
        ? { kind: 'failed' }
        : { kind: 'since', since: parseSince(options.since!), until: options.until ? parseSince(options.until) : undefined };
  } catch (error) {
    io.err((error as Error).message);
    return EXIT.usage;
  }
  return executeRuns(app, io, [app.flow(flowName)], { trigger: 'resync', selection, dryRun: options.dryRun }, options.json);
}
