/**
 * `npm run bench`: prints a table of figures and writes bench/results.json.
 * Each scenario runs in its own process so its peak RSS is its own.
 * BENCH_QUICK=1 shrinks the record counts tenfold for a fast look.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { table } from '../src/cli/table.js';
import { hubspotUpserts, quickbooksInvoices, shopifyOrderReads, stripeCustomers } from './connectors.js';
import { naiveHubspotCreates } from './naive.js';
import type { ScaleOutFigures } from './scale-out.js';

interface EngineFigures {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  writes: number;
  peakRssMb: number;
  rerun?: { seconds: number; writes: number; unchanged: number };
}

const quick = process.env.BENCH_QUICK === '1';
const scale = (n: number) => (quick ? n / 10 : n);

/**
 * The engine runs with V8's garbage collector on the main thread, so the figures are one core's (by
 * default V8 marks on a second core, and the timing of that work moves a run's peak RSS by a fifth),
 * and with bin/ferry's young generation size.
 */
function engine(records: number, mapping: 'simple' | 'orders', rerun = false): EngineFigures {
  const args = ['--single-threaded-gc', '--max-semi-space-size=8', '--import', 'tsx', join(import.meta.dirname, 'engine-run.ts'), String(records), mapping, ...(rerun ? ['--rerun'] : [])];
  const output = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(output.trim().split('\n').pop()!) as EngineFigures;
}

const rows: (string | number)[][] = [];
const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString(), quick };
const AIM_RPS = 20_000;

/**
 * This class of machine runs the same benchmark a sixth faster or slower from one minute to the next,
 * so every engine figure is the median of three runs in separate processes, printed with their range.
 */
function threeRuns(records: number, mapping: 'simple' | 'orders', rerun = false): EngineFigures[] {
  return [engine(records, mapping, rerun), engine(records, mapping), engine(records, mapping)];
}
const medianBy = (runs: EngineFigures[], figure: (r: EngineFigures) => number) => [...runs].sort((a, b) => figure(a) - figure(b))[1]!;
const rangeOf = (runs: EngineFigures[], figure: (r: EngineFigures) => number, unit: string) => {
  const values = runs.map((r) => Math.round(figure(r))).sort((a, b) => a - b);
  return `median of 3 (${values[0]}–${values[2]}${unit})`;
};
const rate = (r: EngineFigures) => r.recordsPerSecond;
const rss = (r: EngineFigures) => r.peakRssMb;

console.error('engine: customer-style mapping, three runs…');
const simpleRuns = threeRuns(scale(100_000), 'simple', true);
const simple = medianBy(simpleRuns, rate);
const rerun = simpleRuns[0]!;
rows.push(['engine throughput, customer mapping', `${simple.records} records`, `${Math.round(simple.recordsPerSecond)} records/s, ${rangeOf(simpleRuns, rate, '')}`, `${(simple.recordsPerSecond / AIM_RPS).toFixed(2)}× the 20,000/s aim`]);
rows.push(['incremental re-run, nothing changed', `${rerun.records} records`, `${rerun.rerun!.seconds.toFixed(2)} s, ${rerun.rerun!.writes} target writes`, `${Math.round(rerun.records / rerun.rerun!.seconds)} records/s`]);

console.error('engine: order → invoice mapping with lines, three runs…');
const ordersRuns = threeRuns(scale(100_000), 'orders');
const orders = medianBy(ordersRuns, rate);
rows.push(['engine throughput, order→invoice mapping', `${orders.records} records`, `${Math.round(orders.recordsPerSecond)} records/s, ${rangeOf(ordersRuns, rate, '')}`, `${(orders.recordsPerSecond / AIM_RPS).toFixed(2)}× the 20,000/s aim`]);

console.error('engine: peak memory at 10× the records, three runs…');
const largeRuns = threeRuns(scale(1_000_000), 'simple');
const smallPeak = medianBy(simpleRuns, rss).peakRssMb;
const largePeak = medianBy(largeRuns, rss).peakRssMb;
const growth = largePeak / smallPeak - 1;
const large = medianBy(largeRuns, rate);
rows.push(['engine throughput, customer mapping, 10×', `${large.records} records`, `${Math.round(large.recordsPerSecond)} records/s, ${rangeOf(largeRuns, rate, '')}`, `${(large.recordsPerSecond / AIM_RPS).toFixed(2)}× the 20,000/s aim`]);
rows.push([
  'peak RSS',
  `${simple.records} → ${largeRuns[0]!.records} records`,
  `${smallPeak.toFixed(0)} MB, ${rangeOf(simpleRuns, rss, ' MB')} → ${largePeak.toFixed(0)} MB, ${rangeOf(largeRuns, rss, ' MB')}`,
  `${(growth * 100).toFixed(1)}% growth (aim < 10%)`,
]);

results.engine = { simple: simpleRuns, orders: ordersRuns, large: largeRuns, memoryGrowth: growth };

interface ValidateFigures {
  fields: number;
  bytes: number;
  seconds: number;
  peakRssMb: number;
}
/** `ferry validate` of one generated flow file, in its own process: it must stay linear in the file's size. */
function validate(fields: number): ValidateFigures {
  const output = execFileSync(process.execPath, ['--max-semi-space-size=8', '--import', 'tsx', join(import.meta.dirname, 'validate-run.ts'), String(fields)], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop()!) as ValidateFigures;
}
console.error('validate: a flow file of 10,000 and of 40,000 mapping fields…');
const [smallFile, largeFile] = [validate(scale(10_000)), validate(scale(40_000))];
rows.push([
  'ferry validate, one large flow file',
  `${smallFile.fields} → ${largeFile.fields} fields (${(largeFile.bytes / 1e6).toFixed(1)} MB)`,
  `${smallFile.seconds.toFixed(2)} s, ${smallFile.peakRssMb.toFixed(0)} MB → ${largeFile.seconds.toFixed(2)} s, ${largeFile.peakRssMb.toFixed(0)} MB`,
  `${(largeFile.seconds / smallFile.seconds).toFixed(2)}× the time for 4× the fields (linear: ≤ 4×)`,
]);
results.validate = { small: smallFile, large: largeFile };

/**
 * How long `bin/ferry` takes to answer, as a person at a terminal waits for it: the launcher, the
 * compiled JavaScript, the shipped flows. Median of five, each in a new process.
 */
function cliSeconds(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    execFileSync(join(import.meta.dirname, '../bin/ferry'), args, { cwd: join(import.meta.dirname, '..'), stdio: 'ignore' });
    times.push((performance.now() - started) / 1000);
  }
  return times.sort((a, b) => a - b)[2]!;
}
console.error('cli: how long --help, validate and info take to answer…');
// The compiled build a user runs: rebuilt first when a source changed since (bin/ferry would otherwise run the TypeScript).
execFileSync('npm', ['run', '--silent', 'build'], { cwd: join(import.meta.dirname, '..'), stdio: 'ignore' });
const cli = Object.fromEntries(['--help', 'validate', 'info'].map((command) => [command, cliSeconds(command === 'info' ? ['info', '--ledger', join(tmpdir(), `ferry-bench-${process.pid}.db`)] : [command])]));
for (const [command, seconds] of Object.entries(cli)) rows.push([`ferry ${command} answers`, '17 shipped flows', `${seconds.toFixed(2)} s, median of 5`, `${(seconds / 0.5).toFixed(2)}× the 0.5 s aim`]);
results.cli = cli;

console.error('connectors: HubSpot upserts against the emulator at 190 requests / 10 s…');
const hub = await hubspotUpserts(scale(5_000));
rows.push(['HubSpot contact upserts (batch 100)', `${hub.records} records`, `${hub.requestsPerRecord.toFixed(3)} requests/record (aim < 0.04)`, `${hub.seconds.toFixed(1)} s vs ${hub.minimumSeconds} s minimum${hub.ratio ? ` = ${hub.ratio.toFixed(2)}×` : ''}, ${hub.throttled} × 429`]);
console.error('baseline: the same contacts, one SDK call per record, as a script without Ferry would…');
const naive = await naiveHubspotCreates(hub.records);
rows.push([
  'naive script, same contacts (1 call each)',
  `${naive.records} records`,
  `${naive.requestsPerRecord.toFixed(3)} requests/record = ${(naive.requestsPerRecord / hub.requestsPerRecord).toFixed(0)}× Ferry's`,
  `${naive.seconds.toFixed(1)} s (${(naive.seconds / hub.seconds).toFixed(1)}× Ferry's); ${naive.lost} records lost to errors, Ferry lost 0`,
]);
results.baseline = { naiveHubspotCreates: naive };
console.error('connectors: QuickBooks invoice creations against the emulator at 40 batches / minute…');
const qbo = await quickbooksInvoices(scale(3_000));
rows.push(['QuickBooks invoice creations (batch 30)', `${qbo.records} records`, `${qbo.requestsPerRecord.toFixed(3)} requests/record (aim < 0.04)`, `${qbo.seconds.toFixed(1)} s vs ${qbo.minimumSeconds} s minimum${qbo.ratio ? ` = ${qbo.ratio.toFixed(2)}× (aim ≤ 1.2×)` : ''}, ${qbo.throttled} × 429`]);
console.error('connectors: Shopify orders with their payments from the emulator’s GraphQL API (standard plan: 2,000 points, 100 a second)…');
const shopifyReads: Record<string, Awaited<ReturnType<typeof shopifyOrderReads>>> = {};
for (const bulk of [true, false]) {
  const shop = await shopifyOrderReads(bulk ? scale(3_000) : scale(300), bulk);
  shopifyReads[bulk ? 'bulk' : 'pages'] = shop;
  const floor = shop.minimumSeconds ? `${shop.minimumSeconds.toFixed(1)} s the cost bucket allows = ${shop.ratio!.toFixed(2)}×` : 'within the bucket: no wait owed';
  rows.push([`Shopify orders with payments (${bulk ? 'full sync: one bulk operation' : 'pages of 7'})`, `${shop.records} orders`, `${shop.requestsPerRecord.toFixed(3)} requests/order`, `${shop.seconds.toFixed(1)} s, ${floor}, ${shop.throttled} THROTTLED`]);
}
console.error('connectors: Stripe customer creations against the emulator at 25 requests / s…');
const str = await stripeCustomers(scale(500));
rows.push(['Stripe customer creations (no batch API)', `${str.records} records`, `${str.requestsPerRecord.toFixed(3)} requests/record`, `${str.seconds.toFixed(1)} s vs ${str.minimumSeconds} s minimum${str.ratio ? ` = ${str.ratio.toFixed(2)}× (aim ≤ 1.2×)` : ''}, ${str.throttled} × 429`]);
results.connectors = { hubspotUpserts: hub, quickbooksInvoices: qbo, shopifyOrderReads: shopifyReads, stripeCustomers: str };
/** One worker count of the scale-out figure, in its own process (it starts its own PostgreSQL cluster and emulators). */
function scaleOut(workers: number, tenants: number, size: string): ScaleOutFigures {
  const output = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'scale-out.ts'), String(workers), String(tenants), size], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
  return JSON.parse(output.trim().split('\n').pop()!) as ScaleOutFigures;
}
const [tenants, size] = quick ? [3, 'small'] : [20, 'demo'];
console.error(`scale-out: ${tenants} tenants, each its own four emulated accounts at the vendors' limits, synced by 1, 2 and 3 daemons on one PostgreSQL ledger…`);
const scaleOuts: ScaleOutFigures[] = [];
try {
  for (const workers of [1, 2, 3]) {
    const run = scaleOut(workers, tenants, size);
    scaleOuts.push(run);
    rows.push([
      `scale-out: ${workers} worker${workers > 1 ? 's' : ''}, ${tenants} tenants`,
      `${run.records} records, ${run.requests} requests`,
      `${run.seconds.toFixed(1)} s vs ${run.minimumSeconds.toFixed(1)} s the limits allow = ${(run.seconds / Math.max(run.minimumSeconds, 1)).toFixed(1)}×; cores ${Math.round(run.machineBusy * 100)}% busy`,
      `${run.throttled} × 429, ${run.lost} lost, ${run.duplicates} duplicates`,
    ]);
  }
} catch (error) {
  // No PostgreSQL server on this machine (the README says how to install one): the other figures stand.
  const reason = String((error as { stderr?: string }).stderr ?? error).trim().split('\n').pop();
  rows.push(['scale-out', `${tenants} tenants`, `not measured: ${reason}`, '']);
}
results.scaleOut = scaleOuts;

console.log(table(['measure', 'size', 'figure', 'ratio'], rows));
writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwritten: bench/results.json`);
