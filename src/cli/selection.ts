/**
 * Choosing records from the ledger for a person's action (approve, reject, discard, resync, edit): by id,
 * or in bulk by status, by the text of their reason, or by when they entered their status. A bulk action
 * says what it will do before doing it.
 */
import { parseSince } from '../flow/duration.js';
import type { RecordState, RecordStatus } from '../ledger/ledger.js';
import type { App } from './app.js';
import type { CliIo } from './io.js';

export interface SelectionOptions {
  /** Every record of the flow in the statuses the action takes. */
  all?: boolean;
  /** Records whose reason (error or hold) contains this text, in any case. */
  matching?: string;
  /** Records that entered their status since a duration ago (24h) or an ISO date. */
  since?: string;
  /** Narrows the statuses the action takes (resync: failed, dead, held…). */
  status?: string[];
  /** Go ahead without asking. */
  yes?: boolean;
}

export const RECORD_STATUSES: readonly RecordStatus[] = ['synced', 'pending', 'waiting', 'failed', 'dead', 'held', 'skipped'];

/** Whether the options choose records in bulk rather than naming them. */
export function isBulk(options: SelectionOptions): boolean {
  return Boolean(options.all || options.matching !== undefined || options.since !== undefined || options.status?.length);
}

export class SelectionError extends Error {}

/**
 * The flow's records in `statuses` that the ids and the options choose, in the order they entered their
 * status. Ids alone choose those ids; ids with a bulk option narrow the bulk choice to them.
 */
export async function selectRecords(app: App, flow: string, ids: string[], statuses: readonly RecordStatus[], options: SelectionOptions): Promise<RecordState[]> {
  if (!ids.length && !isBulk(options)) throw new SelectionError('name the records (ids), or choose them with --all, --matching TEXT, --since 24h or --status');
  const unknown = (options.status ?? []).filter((s) => !statuses.includes(s as RecordStatus));
  if (unknown.length) throw new SelectionError(`--status ${unknown.join(', ')}: this action takes records that are ${statuses.join(', ')}`);
  const chosenStatuses = options.status?.length ? (options.status as RecordStatus[]) : [...statuses];
  let since: Date | undefined;
  try {
    since = options.since ? parseSince(options.since) : undefined;
  } catch (error) {
    throw new SelectionError(`--since: ${(error as Error).message}`);
  }
  const matching = options.matching?.toLowerCase();
  const wanted = new Set(ids);
  return (await app.ledger.listRecords(flow, { statuses: chosenStatuses, since })).filter(
    (r) => (!wanted.size || wanted.has(r.sourceId)) && (!matching || reasonOf(r).toLowerCase().includes(matching)),
  );
}

function reasonOf(record: RecordState): string {
  return record.error?.message ?? record.reason ?? '';
}

/** "12 held record(s) of orders: 1001, 1002, … and 2 more". */
export function describeChoice(records: RecordState[], words: string, flow: string): string {
  const shown = records.slice(0, 10).map((r) => r.sourceId).join(', ');
  return `${records.length} ${words} record(s) of ${flow}: ${shown}${records.length > 10 ? `, and ${records.length - 10} more` : ''}`;
}

/**
 * Asks before a bulk decision: true to go ahead. With `--yes` it does not ask; where nobody is at a
 * terminal and `--yes` was not given, it refuses (a cron job must say so on purpose).
 */
export async function confirmed(io: CliIo, options: SelectionOptions): Promise<boolean | 'nobody-to-ask'> {
  if (options.yes) return true;
  if (!io.ask) return 'nobody-to-ask';
  return /^y(es)?$/i.test((await io.ask('Go ahead? [y/N] ')).trim());
}
