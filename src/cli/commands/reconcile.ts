import { reconcile, type Mismatch, type Period, type Reconciliation } from '../../report/reconcile.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { table } from '../table.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `ferry reconcile [FLOW...] [--from DATE] [--to DATE] [--json]`: exit 1 when anything does not match. */
export async function reconcileCommand(app: App, io: CliIo, names: string[], options: { from?: string; to?: string; json?: boolean }): Promise<ExitCode> {
  for (const [flag, value] of [['--from', options.from], ['--to', options.to]] as const) {
    if (value !== undefined && (!DAY.test(value) || Number.isNaN(Date.parse(value)))) {
      io.err(`${flag} wants a day as YYYY-MM-DD (got '${value}')`);
      return EXIT.usage;
    }
  }
  const flows = names.length ? names.map((n) => app.flow(n)) : app.flows();
  const unreconciled = flows.filter((f) => !f.reconcile);
  if (names.length && unreconciled.length) {
    io.err(`no reconcile section in: ${unreconciled.map((f) => f.name).join(', ')} (see the flow schema's reconcile)`);
    return EXIT.usage;
  }
  const period: Period = { from: options.from, to: options.to };
  const result = await reconcile(flows, app.connections, app.ledger, period);
  io.out(options.json ? JSON.stringify(result, null, 2) : render(result));
  return result.mismatches ? EXIT.recordsFailed : EXIT.ok;
}

function render(result: Reconciliation): string {
  const money = (n: number) => n.toFixed(2);
  const lines = [
    table(
      ['flow', 'source → target', 'source', 'target', 'matched', 'source total', 'target total', 'mismatches'],
      result.flows.map((f) => [f.flow, `${f.source} → ${f.target}`, f.sourceCount, f.targetCount, f.matched, money(f.sourceTotal), money(f.targetTotal), f.mismatches.length]),
    ),
    `\nPeriod: ${result.period.from ?? 'the beginning'} to ${result.period.to ? `${result.period.to} (exclusive)` : 'now'}, by UTC day.`,
  ];
  for (const f of result.flows) {
    if (f.unrelatedTargets) lines.push(`${f.flow}: ${f.unrelatedTargets} ${f.target} record(s) in the period pair with no ${f.source} record and were not written by this flow; not compared.`);
    if (!f.mismatches.length) continue;
    lines.push(`\n${f.flow}:`);
    for (const m of f.mismatches) lines.push(`  ${describe(m, f.source, f.target)}`);
  }
  lines.push(result.mismatches ? `\n${result.mismatches} mismatch(es).` : '\nEverything matches.');
  return lines.join('\n');
}

function describe(m: Mismatch, source: string, target: string): string {
  const amount = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(2));
  switch (m.kind) {
    case 'missing':
      return `missing    ${source}/${m.sourceId} (${m.key}, ${amount(m.sourceAmount)}) has no ${target} record; ledger: ${m.ledgerStatus}${m.ledgerReason ? ` (${m.ledgerReason})` : ''}.${m.command ? ` Next: ${m.command}` : ''}`;
    case 'amount':
      return `amount     ${m.key}: ${source}/${m.sourceId} is ${amount(m.sourceAmount)}, ${target}/${m.targetIds[0]} is ${amount(m.targetAmount)}. Next: ${m.command}`;
    case 'duplicate':
      return `duplicate  ${m.key}: ${source}/${m.sourceId} has ${m.targetIds.length} ${target} records (${m.targetIds.join(', ')}), together ${amount(m.targetAmount)} against ${amount(m.sourceAmount)}`;
    case 'extra':
      return `extra      ${target}/${m.targetIds[0]} (${m.key}, ${amount(m.targetAmount)}) was written by this flow but no ${source} record in the period calls for it`;
  }
}
