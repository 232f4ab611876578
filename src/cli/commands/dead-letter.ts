import { parseSince } from '../../flow/duration.js';
import type { RecordState } from '../../ledger/ledger.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { decideOnRecord } from './decision.js';
import { table } from '../table.js';

/** `ferry dead-letter list [FLOW]`: every dead-lettered record with its class, reason and attempts. */
export async function deadLetterList(app: App, io: CliIo, flowName: string | undefined, options: { json?: boolean }): Promise<ExitCode> {
  const flows = flowName ? [app.flow(flowName)] : app.flows();
  const rows: (RecordState & { flow: string })[] = [];
  for (const flow of flows) rows.push(...(await app.ledger.listRecords(flow.name, { statuses: ['dead'] })));
  if (options.json) {
    io.out(JSON.stringify(rows.map(({ source: _s, payload: _p, ...r }) => r), null, 2));
    return EXIT.ok;
  }
  if (!rows.length) {
    io.out('No dead-lettered records.');
    return EXIT.ok;
  }
  io.out(
    table(
      ['flow', 'id', 'class', 'reason', 'attempts', 'first failure', 'last failure'],
      rows.map((r) => [r.flow, r.sourceId, r.error?.class ?? '-', truncate(r.error?.message ?? r.reason ?? '', 70), r.attempts, r.firstFailedAt ?? '-', r.lastFailedAt ?? '-']),
    ),
  );
  io.out(`\n${rows.length} record(s). Details: ferry dead-letter show FLOW ID. Resend after fixing: ferry resync FLOW --record ID (or --failed).`);
  return EXIT.ok;
}

/** `ferry dead-letter show FLOW ID`: the source record, the mapped payload and every event in its history. */
export async function deadLetterShow(app: App, io: CliIo, flowName: string, id: string, options: { json?: boolean }): Promise<ExitCode> {
  const flow = app.flow(flowName);
  const [record] = await app.ledger.getRecords(flow.name, [id]);
  if (!record) {
    io.err(`ferry: flow '${flow.name}' has no record '${id}' in the ledger`);
    return EXIT.usage;
  }
  const history = await app.ledger.events(flow.name, id);
  if (options.json) {
    io.out(JSON.stringify({ record, history }, null, 2));
    return EXIT.ok;
  }
  io.out(`${flow.name} / ${id}: ${record.status}${record.error ? ` (${record.error.class}${record.error.status ? ` ${record.error.status}` : ''}${record.error.code ? ` ${record.error.code}` : ''})` : ''}`);
  if (record.error) io.out(`reason: ${record.error.message}${record.error.field ? `\nfield: ${record.error.field}` : ''}`);
  io.out(`attempts: ${record.attempts}${record.firstFailedAt ? `, first failure ${record.firstFailedAt}, last ${record.lastFailedAt}` : ''}`);
  io.out(`\nsource record:\n${JSON.stringify(record.source ?? null, null, 2)}`);
  io.out(`\nmapped payload:\n${JSON.stringify(record.payload ?? null, null, 2)}`);
  io.out('\nhistory:');
  for (const event of history) io.out(`  ${event.at}  ${event.kind.padEnd(9)} ${event.detail ? JSON.stringify(event.detail) : ''}`);
  return EXIT.ok;
}

/** `ferry dead-letter discard FLOW ID --reason TEXT`: gives up on a record on purpose; the decision stays in its history. */
export interface DiscardSelection {
  reason?: string;
  all?: boolean;
  /** Records whose reason contains this text (any case). */
  matching?: string;
  /** Records dead-lettered since a duration ago (24h) or an ISO date. */
  since?: string;
  yes?: boolean;
}

/**
 * `ferry dead-letter discard FLOW [ID...] --reason TEXT [--all | --matching TEXT | --since 24h] [--yes]`:
 * gives up on dead-lettered records on purpose, kept in each one's history. Says what it will do before
 * doing it, and asks a person at a terminal; elsewhere `--yes` must say so.
 */
export async function deadLetterDiscard(app: App, io: CliIo, flowName: string, ids: string[], options: DiscardSelection): Promise<ExitCode> {
  const bulk = options.all || options.matching !== undefined || options.since !== undefined;
  if (!bulk && ids.length === 1) {
    return decideOnRecord(app, io, flowName, ids[0]!, options.reason, {
      from: 'dead',
      fromWords: 'dead-lettered',
      kind: 'discarded',
      to: 'skipped',
      detail: (record, reason) => ({ reason, error: record.error?.message ?? null }),
      done: (reason) => `discarded: ${reason}`,
    });
  }
  if (!options.reason?.trim()) {
    io.err("ferry: say why with --reason TEXT; it is kept in each record's history");
    return EXIT.usage;
  }
  if (!bulk && !ids.length) {
    io.err('ferry: name the records (ids), or choose them with --all, --matching TEXT or --since 24h');
    return EXIT.usage;
  }
  const flow = app.flow(flowName);
  const since = options.since ? parseSince(options.since).getTime() : undefined;
  const matching = options.matching?.toLowerCase();
  const chosen = (await app.ledger.listRecords(flow.name, { statuses: ['dead'] })).filter(
    (r) => (!ids.length || ids.includes(r.sourceId)) && (!matching || (r.error?.message ?? r.reason ?? '').toLowerCase().includes(matching)) && (since === undefined || Date.parse(r.statusSince) >= since),
  );
  if (!chosen.length) {
    io.out(`no dead-lettered record of ${flow.name} is chosen: nothing to discard`);
    return EXIT.ok;
  }
  const shown = chosen.slice(0, 10).map((r) => r.sourceId).join(', ');
  io.out(`This discards ${chosen.length} dead-lettered record(s) of ${flow.name}: ${shown}${chosen.length > 10 ? `, and ${chosen.length - 10} more` : ''}; reason: ${options.reason}`);
  if (!options.yes) {
    if (!io.ask) {
      io.err('ferry: nobody at a terminal to ask: add --yes to go ahead');
      return EXIT.usage;
    }
    if (!/^y(es)?$/i.test((await io.ask('Go ahead? [y/N] ')).trim())) {
      io.out('nothing discarded');
      return EXIT.ok;
    }
  }
  for (const record of chosen) {
    await app.ledger.recordDecision(flow.name, record.sourceId, 'discarded', { reason: options.reason, error: record.error?.message ?? null }, 'skipped', `discarded: ${options.reason}`);
  }
  io.out(`discarded ${chosen.length} record(s) of ${flow.name}: ${options.reason}`);
  return EXIT.ok;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
