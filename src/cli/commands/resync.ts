import { parseSince } from '../../flow/duration.js';
import type { RecordStatus } from '../../ledger/ledger.js';
import type { RunSelection } from '../../engine/runner.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { RECORD_STATUSES } from '../selection.js';
import { chooseInBulk } from './decision.js';
import { executeRuns } from './run.js';

export interface ResyncOptions {
  record?: string[];
  failed?: boolean;
  /** Chosen from the ledger: every record of the flow, or those in these statuses, or whose reason has this text. */
  all?: boolean;
  status?: string[];
  matching?: string;
  since?: string;
  until?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** What `--failed` means, and what `--matching` looks among when no `--status` is given. */
const TROUBLED: RecordStatus[] = ['failed', 'dead'];

/**
 * `ferry resync FLOW (--record ID... | --failed | --all | --status S... | --matching TEXT | --since DATE [--until DATE])`:
 * after the cause is fixed, sends the chosen records again. Records are re-read from the source (or taken
 * from the ledger when the source cannot fetch by id) and written even when their output has not changed.
 * A choice made from the ledger is said before it is sent; resending is idempotent, so it does not ask.
 */
export async function resyncCommand(app: App, io: CliIo, flowName: string, options: ResyncOptions): Promise<ExitCode> {
  const fromLedger = Boolean(options.all || options.status?.length || options.matching !== undefined);
  const chosen = [options.record?.length ? 'record' : '', options.failed ? 'failed' : '', fromLedger ? 'ledger' : '', options.since ? 'since' : ''].filter(Boolean);
  if (chosen.length !== 1) {
    io.err('ferry: choose exactly one of --record ID..., --failed, --since DATE, or a ledger selection (--all, --status STATUS..., --matching TEXT)');
    return EXIT.usage;
  }
  const flow = app.flow(flowName);
  let selection: RunSelection;
  if (fromLedger) {
    // A pending write is settled by the flow's next run before anything else is sent.
    const resendable = RECORD_STATUSES.filter((s) => s !== 'pending');
    const status = options.status ?? (options.all ? undefined : TROUBLED);
    const records = await chooseInBulk(app, io, flow.name, [], resendable, { ...options, status }, { words: status?.join(' or ') ?? 'known', verb: 'resend', ask: false });
    if (typeof records === 'number') return records;
    selection = { kind: 'records', ids: records.map((r) => r.sourceId) };
  } else {
    try {
      selection = options.record?.length
        ? { kind: 'records', ids: options.record }
        : options.failed
          ? { kind: 'failed' }
          : { kind: 'since', since: parseSince(options.since!), until: options.until ? parseSince(options.until) : undefined };
    } catch (error) {
      io.err(`ferry: ${(error as Error).message}`);
      return EXIT.usage;
    }
  }
  return executeRuns(app, io, [flow], { trigger: 'resync', selection, dryRun: options.dryRun }, options.json);
}
