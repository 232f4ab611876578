import type { RecordState } from '../../ledger/ledger.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { decideOnRecords, type DecisionOptions } from './decision.js';
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

/**
 * `ferry dead-letter discard FLOW [ID...] --reason TEXT [--all | --matching TEXT | --since 24h] [--yes]`:
 * gives up on dead-lettered records on purpose, kept in each one's history.
 */
export function deadLetterDiscard(app: App, io: CliIo, flowName: string, ids: string[], options: DecisionOptions): Promise<ExitCode> {
  return decideOnRecords(app, io, flowName, ids, options, {
    from: 'dead',
    fromWords: 'dead-lettered',
    verb: 'discard',
    kind: 'discarded',
    to: 'skipped',
    detail: (record, reason) => ({ reason, error: record.error?.message ?? null }),
    done: (reason) => `discarded: ${reason}`,
  });
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
