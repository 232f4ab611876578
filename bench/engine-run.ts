/**
 * One engine benchmark in its own process (so peak RSS is this scenario's alone):
 *   node --import tsx bench/engine-run.ts RECORDS simple|orders [--rerun]
 * Prints one JSON line: records, seconds, records/s, target writes, peak RSS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '../src/connector/types.js';
import { Connections } from '../src/engine/connections.js';
import { runFlow } from '../src/engine/runner.js';
import { loadFlowFiles } from '../src/flow/load.js';
import { SqliteLedger } from '../src/ledger/sqlite-ledger.js';
import { silentLogger } from '../src/log.js';
import { ORDERS_FLOW, SIMPLE_FLOW, generatedConnector, type GeneratedSource } from './generated-connector.js';

const records = Number(process.argv[2] ?? 100_000);
const mapping = process.argv[3] === 'orders' ? ORDERS_FLOW : SIMPLE_FLOW;
const rerun = process.argv.includes('--rerun');
const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
try {
  const source: GeneratedSource = { records, pageSize: 1_000, writes: 0, revision: 0 };
  const registry = createRegistry([generatedConnector(source)]);
  writeFileSync(join(dir, 'flow.yaml'), mapping);
  const { flows, diagnostics } = loadFlowFiles([join(dir, 'flow.yaml')], registry);
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  const ledger = new SqliteLedger(join(dir, 'ledger.db'));
  const connections = new Connections(registry, new Map([['generated', { name: 'generated', connector: 'generated', options: {} }]]));
  const deps = { ledger, connections, logger: silentLogger };

  const started = performance.now();
  const first = await runFlow(flows[0]!, deps, { trigger: 'manual' });
  const firstSeconds = (performance.now() - started) / 1000;
  if (first.status !== 'succeeded' || first.counts.created !== records) throw new Error(`expected ${records} created, got ${first.status}: ${JSON.stringify(first.counts)} ${first.message ?? ''}`);

  let rerunResult: { seconds: number; writes: number; unchanged: number } | undefined;
  if (rerun) {
    const writesBefore = source.writes;
    const again = performance.now();
    const second = await runFlow(flows[0]!, deps, { trigger: 'manual', selection: { kind: 'incremental', full: true } });
    rerunResult = { seconds: (performance.now() - again) / 1000, writes: source.writes - writesBefore, unchanged: second.counts.unchanged };
  }
  await ledger.close();
  console.log(
    JSON.stringify({
      records,
      seconds: firstSeconds,
      recordsPerSecond: records / firstSeconds,
      writes: source.writes,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      rerun: rerunResult,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
