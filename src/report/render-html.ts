/**
 * The sync-info report as one self-contained HTML page for reviewers, laid out for a laptop screen
 * (1366 pixels wide): a card per flow with its health in colour (good, needs a person, failing), its
 * figures over the period and a small chart of its own runs; then every record that needs attention,
 * by the name a person knows it by, with links into the vendors' admins and the command that resolves
 * it. Chart.js is inlined from the installed package, so the page works offline and as an attachment.
 * Times are written in UTC and shown in the reader's own time zone. Every value from the ledger is
 * HTML-escaped.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FailedRecord, FlowHealth, FlowInfo, SyncInfo } from './sync-info.js';

const require = createRequire(import.meta.url);
let chartJs: string | undefined;

/** Chart.js's UMD bundle, read once from node_modules. */
function chartLibrary(): string {
  chartJs ??= readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
  return chartJs;
}

/** One finished run of one flow, as its chart plots it. */
export interface ChartPoint {
  run: number;
  at: string;
  created: number;
  updated: number;
  /** Failed and dead. */
  failed: number;
  /** Held and waiting: records for a person. */
  held: number;
}

/** A flow's finished runs in the period, oldest first: one point each. */
export function chartPoints(flow: FlowInfo): ChartPoint[] {
  return flow.runs
    .filter((r) => r.status !== 'running')
    .map((r) => ({ run: r.id, at: r.startedAt, created: r.counts.created, updated: r.counts.updated, failed: r.counts.failed + r.counts.dead, held: r.counts.held + r.counts.waiting }));
}

const HEALTH_WORDS: Record<FlowHealth, string> = { good: 'all good', attention: 'needs a person', failing: 'failing' };
/** The chart's colours: the same meaning as the health badges. */
const SERIES_COLOURS = { created: '#1a7f37', updated: '#54aeff', held: '#bf8700', failed: '#cf222e' } as const;

export interface HtmlOptions {
  /** Reload the page every this many seconds (the daemon's live page). */
  refreshSeconds?: number;
}

export function renderHtml(info: SyncInfo, options: HtmlOptions = {}): string {
  const failures = info.flows.flatMap((f) => f.failures.map((r) => ({ flow: f.name, ...r })));
  const byHealth = (h: FlowHealth) => info.flows.filter((f) => f.health === h).length;
  const charts = info.flows.map((f, i) => ({ id: `chart-${i}`, points: chartPoints(f) }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<title>Ferry sync-info</title>
<style>
  * { box-sizing: border-box; }
  body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 16px 20px; max-width: 1340px; color: #1f2328; }
  h1 { font-size: 20px; margin: 0 0 2px; } h2 { font-size: 16px; margin: 20px 0 8px; }
  .meta { color: #59636e; }
  .chips span { display: inline-block; margin-right: 8px; padding: 1px 8px; border-radius: 10px; font-weight: 600; }
  .health-good { background: #dafbe1; color: #116329; } .health-attention { background: #fff8c5; color: #7d4e00; } .health-failing { background: #ffebe9; color: #a40e26; }
  #flows { display: grid; grid-template-columns: repeat(auto-fill, minmax(410px, 1fr)); gap: 12px; }
  .flow { border: 1px solid #d1d9e0; border-left-width: 6px; border-radius: 6px; padding: 8px 10px; min-width: 0; }
  .flow.health-good { border-left-color: #1a7f37; background: none; color: inherit; } .flow.health-attention { border-left-color: #bf8700; background: none; color: inherit; } .flow.health-failing { border-left-color: #cf222e; background: none; color: inherit; }
  .flow header { display: flex; justify-content: space-between; gap: 8px; align-items: baseline; }
  .flow h3 { font-size: 13px; margin: 0; overflow-wrap: anywhere; }
  .badge { white-space: nowrap; padding: 0 6px; border-radius: 8px; font-size: 12px; font-weight: 600; }
  .figures { display: flex; flex-wrap: wrap; gap: 2px 12px; margin: 4px 0; font-variant-numeric: tabular-nums; }
  .figures b { font-weight: 600; }
  .chart-box { height: 110px; }
  .top-errors { margin: 4px 0 0; padding-left: 16px; color: #a40e26; }
  table { border-collapse: collapse; width: 100%; table-layout: fixed; }
  th, td { border-bottom: 1px solid #d1d9e0; padding: 4px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
  th { background: #f6f8fa; }
  code { background: #f6f8fa; padding: 0 3px; border-radius: 3px; font-size: 12px; }
  .id { color: #59636e; font-size: 12px; }
  a { color: #0969da; }
</style>
</head>
<body>
<h1>Ferry sync-info</h1>
<p class="meta">Generated <time datetime="${esc(info.generatedAt)}">${esc(utc(info.generatedAt))}</time> · period since <time datetime="${esc(info.since)}">${esc(utc(info.since))}</time> · ${info.flows.length} flow(s)</p>
<p class="chips"><span class="health-good">${byHealth('good')} all good</span><span class="health-attention">${byHealth('attention')} need a person</span><span class="health-failing">${byHealth('failing')} failing</span>${failures.length} record(s) need attention</p>

<h2>Flows</h2>
<div id="flows">
${info.flows.map((f, i) => flowCard(f, charts[i]!.id, charts[i]!.points.length)).join('\n')}
</div>

<h2>Records needing attention</h2>
${failures.length ? failureTable(failures) : '<p>None: every record is synced, unchanged or skipped.</p>'}

<script>${chartLibrary()}</script>
<script type="application/json" id="chart-data">${jsonForScript({ charts, colours: SERIES_COLOURS })}</script>
<script>
(function () {
  var local = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  document.querySelectorAll('time[datetime]').forEach(function (t) { t.title = t.textContent; t.textContent = local.format(new Date(t.getAttribute('datetime'))); });
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var drawn = 0;
  data.charts.forEach(function (c) {
    var canvas = document.getElementById(c.id);
    if (!canvas || !c.points.length) return;
    var series = function (key, label) { return { label: label, data: c.points.map(function (p) { return p[key]; }), backgroundColor: data.colours[key], stack: 'records' }; };
    new Chart(canvas, {
      type: 'bar',
      data: { labels: c.points.map(function (p) { return local.format(new Date(p.at)); }), datasets: [series('created', 'created'), series('updated', 'updated'), series('held', 'held or waiting'), series('failed', 'failed')] },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 4, font: { size: 10 } } }, y: { stacked: true, beginAtZero: true, ticks: { maxTicksLimit: 3, font: { size: 10 } } } } }
    });
    drawn++;
  });
  document.body.dataset.charts = String(drawn);
})();
</script>
</body>
</html>
`;
}

function flowCard(f: FlowInfo, chartId: string, points: number): string {
  const c = f.period.counts;
  const pct = (n: number | null) => (n === null ? '–' : `${(n * 100).toFixed(1)}%`);
  const now = f.records;
  const last = f.lastRun ? `last run <time datetime="${esc(f.lastRun.startedAt)}">${esc(utc(f.lastRun.startedAt))}</time> (${esc(f.lastRun.status)})` : 'never run';
  return `<section class="flow health-${f.health}" data-flow="${esc(f.name)}" data-health="${f.health}">
<header><h3>${esc(f.name)}</h3><span class="badge health-${f.health}">${HEALTH_WORDS[f.health]}</span></header>
<div class="meta">${esc(f.source)} → ${esc(f.target)} · ${last}</div>
<div class="figures"><span><b>${f.period.runs}</b> runs</span><span><b>${c.created}</b> created</span><span><b>${c.updated}</b> updated</span><span><b>${c.unchanged}</b> unchanged</span><span>errors <b>${pct(f.period.errorRate)}</b></span><span>now: <b>${now.held + now.waiting}</b> for a person, <b>${now.failed + now.dead}</b> failed</span></div>
${points ? `<div class="chart-box"><canvas id="${chartId}" data-points="${points}" role="img" aria-label="${esc(f.name)}: records created, updated, held and failed in each run of the period"></canvas></div>` : '<p class="meta">No runs in this period.</p>'}
${f.topErrors.length ? `<ul class="top-errors">${f.topErrors.slice(0, 3).map((e) => `<li>${e.count} × ${esc(e.reason)}</li>`).join('')}</ul>` : ''}
</section>`;
}

function failureTable(failures: (FailedRecord & { flow: string })[]): string {
  return `<table id="failures">
<colgroup><col style="width: 17%"><col style="width: 13%"><col style="width: 7%"><col style="width: 26%"><col style="width: 9%"><col style="width: 8%"><col style="width: 20%"></colgroup>
<thead><tr><th>flow</th><th>record</th><th>status</th><th>reason</th><th>since</th><th>open in</th><th>to resolve</th></tr></thead>
<tbody>
${failures
  .map(
    (r) => `<tr class="failed-record" data-flow="${esc(r.flow)}" data-record="${esc(r.sourceId)}"><td>${esc(r.flow)}</td><td>${r.label ? `${esc(r.label)}<br><span class="id">${esc(r.sourceId)}</span>` : esc(r.sourceId)}</td><td><span class="badge health-${r.status === 'held' || r.status === 'waiting' ? 'attention' : 'failing'}">${esc(r.status)}</span></td><td>${esc(r.reason)}</td><td><time datetime="${esc(r.lastFailedAt ?? r.since)}">${esc(utc(r.lastFailedAt ?? r.since))}</time></td><td>${(r.links ?? []).map((l) => `<a class="admin-link" href="${esc(l.url)}" target="_blank" rel="noopener">${esc(l.system)}</a>`).join('<br>')}</td><td><code>${esc(r.resyncCommand)}</code></td></tr>`,
  )
  .join('\n')}
</tbody>
</table>`;
}

/** What a page without scripts shows: "2026-12-02 14:05 UTC". */
function utc(iso: string): string {
  return `${iso.replace('T', ' ').slice(0, 16)} UTC`;
}

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** JSON inside a script element: `</script>` and `<!--` in the data must not end or change it. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
