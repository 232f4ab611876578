/**
 * The sync-info report as one self-contained HTML page for reviewers: Chart.js (inlined from the
 * installed package, so the page works offline and from an e-mail attachment) draws successes and
 * failures per run over time; tables give each flow's figures, top errors and failed records with the
 * command that resyncs each one. Every value from the ledger is HTML-escaped.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FlowInfo, SyncInfo } from './sync-info.js';

const require = createRequire(import.meta.url);
let chartJs: string | undefined;

/** Chart.js's UMD bundle, read once from node_modules. */
function chartLibrary(): string {
  chartJs ??= readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
  return chartJs;
}

export interface ChartPoint {
  label: string;
  flow: string;
  run: number;
  successes: number;
  failures: number;
}

/** One point per finished run, oldest first, across every flow in the report. */
export function chartPoints(info: SyncInfo): ChartPoint[] {
  return info.flows
    .flatMap((f) =>
      f.runs
        .filter((r) => r.status !== 'running')
        .map((r) => ({
          at: r.startedAt,
          point: {
            label: `${r.startedAt.replace('T', ' ').slice(0, 16)} ${f.name} #${r.id}`,
            flow: f.name,
            run: r.id,
            successes: r.counts.created + r.counts.updated + r.counts.unchanged,
            failures: r.counts.failed + r.counts.dead,
          },
        })),
    )
    .sort((a, b) => a.at.localeCompare(b.at) || a.point.run - b.point.run)
    .map((p) => p.point);
}

export function renderHtml(info: SyncInfo): string {
  const points = chartPoints(info);
  const failures = info.flows.flatMap((f) => f.failures.map((r) => ({ flow: f.name, ...r })));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ferry sync-info report</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1f2328; }
  h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 1.2rem 0 0.4rem; }
  .meta { color: #59636e; }
  table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
  th, td { border: 1px solid #d1d9e0; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
  th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .succeeded { color: #1a7f37; } .partial { color: #9a6700; } .failed, .dead { color: #cf222e; }
  code { background: #f6f8fa; padding: 0 0.25rem; border-radius: 3px; }
  #chart-box { max-width: 1100px; height: 320px; }
</style>
</head>
<body>
<h1>Ferry sync-info report</h1>
<p class="meta">Generated ${esc(info.generatedAt)} · ${info.since ? `runs since ${esc(info.since)}` : 'the last 50 runs of each flow'} · ${info.flows.length} flow(s) · ${failures.length} record(s) needing attention</p>

<h2>Successes and failures per run</h2>
<div id="chart-box"><canvas id="runs-chart" role="img" aria-label="Records succeeded and failed in each run, oldest first"></canvas></div>
${points.length ? '' : '<p class="meta">No finished runs in this period.</p>'}

<h2>Flows</h2>
<table id="flows">
<thead><tr><th>flow</th><th>source → target</th><th>last run</th><th>status</th><th>runs</th><th>read</th><th>created</th><th>updated</th><th>unchanged</th><th>held</th><th>failed</th><th>dead</th><th>success</th><th>errors</th><th>p50 s</th><th>p95 s</th></tr></thead>
<tbody>
${info.flows.map(flowRow).join('\n')}
</tbody>
</table>
${info.flows.map(flowDetail).join('\n')}

<h2>Records needing attention</h2>
${
  failures.length
    ? `<table id="failures">
<thead><tr><th>flow</th><th>record</th><th>status</th><th>error</th><th>reason</th><th>attempts</th><th>last failure</th><th>to resync</th></tr></thead>
<tbody>
${failures
  .map(
    (r) => `<tr class="failed-record" data-flow="${esc(r.flow)}" data-record="${esc(r.sourceId)}"><td>${esc(r.flow)}</td><td>${esc(r.sourceId)}</td><td class="${esc(r.status)}">${esc(r.status)}</td><td>${esc([r.errorClass, r.httpStatus, r.field].filter((x) => x !== undefined).join(' · '))}</td><td>${esc(r.reason)}</td><td class="num">${r.attempts}</td><td>${esc(r.lastFailedAt ?? r.since)}</td><td><code>${esc(r.resyncCommand)}</code></td></tr>`,
  )
  .join('\n')}
</tbody>
</table>`
    : '<p>None: every record is synced, unchanged or skipped.</p>'
}

<script>${chartLibrary()}</script>
<script type="application/json" id="chart-data">${jsonForScript(points)}</script>
<script>
(function () {
  var points = JSON.parse(document.getElementById('chart-data').textContent);
  var chart = new Chart(document.getElementById('runs-chart'), {
    type: 'bar',
    data: {
      labels: points.map(function (p) { return p.label; }),
      datasets: [
        { label: 'succeeded (created, updated, unchanged)', data: points.map(function (p) { return p.successes; }), backgroundColor: '#2da44e' },
        { label: 'failed or dead', data: points.map(function (p) { return p.failures; }), backgroundColor: '#cf222e' }
      ]
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { stacked: true, ticks: { maxRotation: 60, autoSkip: true } }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'records' } } },
      plugins: { legend: { position: 'top' } }
    }
  });
  document.body.dataset.chart = chart ? 'rendered' : 'missing';
})();
</script>
</body>
</html>
`;
}

function flowRow(f: FlowInfo): string {
  const c = f.period.counts;
  const pct = (n: number | null) => (n === null ? '–' : `${(n * 100).toFixed(1)}%`);
  const secs = (n: number | null) => (n === null ? '–' : n.toFixed(2));
  const status = f.lastRun?.status ?? 'never';
  return `<tr data-flow="${esc(f.name)}"><td>${esc(f.name)}</td><td>${esc(f.source)} → ${esc(f.target)}</td><td>${esc(f.lastRun?.startedAt ?? 'never')}</td><td class="${esc(status)}">${esc(status)}</td><td class="num">${f.period.runs}</td>${[c.read, c.created, c.updated, c.unchanged, c.held, c.failed, c.dead].map((n) => `<td class="num">${n}</td>`).join('')}<td class="num">${pct(f.period.successRate)}</td><td class="num">${pct(f.period.errorRate)}</td><td class="num">${secs(f.period.medianRunSeconds)}</td><td class="num">${secs(f.period.p95RunSeconds)}</td></tr>`;
}

function flowDetail(f: FlowInfo): string {
  if (!f.topErrors.length) return '';
  return `<h3>${esc(f.name)}: top error reasons</h3>
<table class="top-errors"><thead><tr><th>records</th><th>reason</th></tr></thead><tbody>
${f.topErrors.map((e) => `<tr><td class="num">${e.count}</td><td>${esc(e.reason)}</td></tr>`).join('\n')}
</tbody></table>`;
}

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** JSON inside a script element: `</script>` and `<!--` in the data must not end or change it. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
