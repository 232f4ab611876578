/**
 * One `ferry validate` of a generated flow file with N mapping fields, in a process of its own:
 * prints { fields, bytes, seconds, peakRssMb } as JSON. Half the fields are plain paths the direct
 * evaluator answers, half need JSONata.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registry } from '../connectors/registry.js';
import { loadFlowFiles } from '../src/flow/load.js';

const fields = Number(process.argv[2] ?? 10_000);
// A target whose fields the account decides (HubSpot's properties), so the generated field names are not refused.
const lines = ['name: generated', 'source: { connector: shopify, entity: customers }', 'target: { connector: hubspot, entity: contacts }', 'mapping:'];
for (let i = 0; i < fields; i++) lines.push(i % 2 ? `  Field${i}: "email & '-${i}'"` : `  Field${i}: default_address.city`);
const file = join(mkdtempSync(join(tmpdir(), 'ferry-bench-validate-')), 'generated.yaml');
const text = `${lines.join('\n')}\n`;
writeFileSync(file, text);

const started = performance.now();
const { diagnostics } = loadFlowFiles([file], registry);
const seconds = (performance.now() - started) / 1000;
if (diagnostics.length) throw new Error(`the generated flow has mistakes: ${diagnostics[0]!.message}`);
console.log(JSON.stringify({ fields, bytes: text.length, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
