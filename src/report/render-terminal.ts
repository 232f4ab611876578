import { table } from '../cli/table.js';
import type { SyncInfo } from './sync-info.js';

const MAX_FAILURES_SHOWN = 20;

export function renderTerminal(info: SyncInfo, color: boolean): string {
  const paint = (code: number) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const red = paint(31);
  const green = paint(32);
  const yellow = paint(33);
  const bold = paint(1);
  const healthColor = (health: string) => (health === 'good' ? green(health) : health === 'attention' ? yellow(health) : red(health));
  const pct = (n: number | null) => (n === null ? '-' : `${(n * 100).toFixed(1)}%`);

  const lines: string[] = [];
  lines.push(
    table(
      ['flow', 'health', 'last run', 'status', 'read', 'created', 'updated', 'unchanged', 'held', 'failed', 'dead', 'success', 'errors', 'p50 s', 'p95 s'],
      info.flows.map((f) => {
        const c = f.period.counts;
        return [
          f.name,
          healthColor(f.health),
          f.lastRun ? f.lastRun.startedAt.replace('T', ' ').slice(0, 19) : 'never',
          f.lastRun?.status ?? '-',
          c.read,
          c.created,
          c.updated,
          c.unchanged,
          c.held,
          c.failed,
          c.dead,
          pct(f.period.successRate),
          pct(f.period.errorRate),
          f.period.medianRunSeconds === null ? '-' : f.period.medianRunSeconds.toFixed(2),
          f.period.p95RunSeconds === null ? '-' : f.period.p95RunSeconds.toFixed(2),
        ];
      }),
    ),
  );
  lines.push(`\nCounts and rates cover runs since ${info.since.replace('T', ' ').slice(0, 16)} UTC (choose with --since); health is now: failing (records failed), attention (records held or waiting for a person), good.`);

  for (const flow of info.flows) {
    if (!flow.failures.length && !flow.topErrors.length) continue;
    lines.push(`\n${bold(flow.name)} (${flow.source} → ${flow.target})`);
    if (flow.topErrors.length) {
      lines.push('  Top error reasons:');
      for (const e of flow.topErrors) lines.push(`    ${String(e.count).padStart(5)}  ${e.reason}`);
    }
    lines.push(`  Records needing attention (${flow.failures.length}):`);
    for (const f of flow.failures.slice(0, MAX_FAILURES_SHOWN)) {
      lines.push(`    ${(f.status === 'held' || f.status === 'waiting' ? yellow : red)(f.status.padEnd(7))} ${f.sourceId}${f.label ? ` (${f.label})` : ''}  ${f.reason}`);
      lines.push(`            ${f.resyncCommand}`);
    }
    if (flow.failures.length > MAX_FAILURES_SHOWN) {
      lines.push(`    … and ${flow.failures.length - MAX_FAILURES_SHOWN} more (ferry info ${flow.name} --json lists all; ferry resync ${flow.name} --failed resends them)`);
    }
  }
  return lines.join('\n');
}
