/**
 * Broken flow files and configs: a corpus of the usual mistakes, each answered with exit 2 and a
 * `file:line:column field: message`, then a property-based fuzzer (fast-check) that mangles a valid flow
 * file every way it can: whatever it produces, Ferry answers 0 or 2 with positioned messages and never
 * a stack trace. FERRY_HEAVY=1 runs the fuzzer ten times longer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { CUSTOMERS_FLOW, memoryRegistry, tempDir } from '../support/harness.js';

const CONFIG = 'connections:\n  memory:\n    connector: memory\n';
const STACK_TRACE = /\n\s+at .+:\d+:\d+|\.ts:\d+:\d+\)/;
const POSITIONED = /^[^\s:]+\.ya?ml:\d+:\d+ \S*:? ?.+$/;

async function validate(files: Record<string, string>, config = CONFIG, command: string[] = ['validate']) {
  const cwd = tempDir('ferry-bad-');
  mkdirSync(join(cwd, 'flows'));
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config', 'ferry.yaml'), config);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, 'flows', name), text);
  const io = bufferIo();
  const code = await main(['node', 'ferry', ...command], { io, cwd, registry: memoryRegistry() });
  return { code, err: io.stderr.join('\n'), out: io.stdout.join('\n') };
}

const OTHER = CUSTOMERS_FLOW.replace('name: customers', 'name: others').replace('vip-hold', 'other-hold');

const CORPUS: { mistake: string; files: Record<string, string>; config?: string; command?: string[]; expected: RegExp }[] = [
  { mistake: 'malformed YAML', files: { 'f.yaml': 'name: x\nsource: { connector: memory\n' }, expected: /^flows\/f\.yaml:\d+:\d+ .*/ },
  { mistake: 'wrong type', files: { 'f.yaml': CUSTOMERS_FLOW.replace('retry: { attempts: 3,', 'retry: { attempts: three,') }, expected: /^flows\/f\.yaml:\d+:\d+ retry\.attempts: must be integer/ },
  { mistake: 'unknown key', files: { 'f.yaml': `${CUSTOMERS_FLOW}shedule: "* * * * *"\n` }, expected: /^flows\/f\.yaml:\d+:1 shedule: unknown key/ },
  { mistake: 'bad cron', files: { 'f.yaml': `${CUSTOMERS_FLOW}run: { schedule: "61 * * * *" }\n` }, expected: /^flows\/f\.yaml:\d+:\d+ run\.schedule: not a valid cron expression/ },
  { mistake: 'unknown connector', files: { 'f.yaml': CUSTOMERS_FLOW.replace('source: { connector: memory', 'source: { connector: shopfy') }, expected: /^flows\/f\.yaml:3:\d+ source\.connector: unknown connector 'shopfy'/ },
  { mistake: 'unparsable expression', files: { 'f.yaml': CUSTOMERS_FLOW.replace('Name: name', 'Name: name &') }, expected: /^flows\/f\.yaml:\d+:\d+ mapping\.Name: expression does not parse/ },
  {
    mistake: 'dependency cycle',
    files: { 'a.yaml': `${CUSTOMERS_FLOW}depends_on: [others]\n`, 'b.yaml': `${OTHER}depends_on: [customers]\n` },
    expected: /^flows\/[ab]\.yaml:\d+:\d+ depends_on\[0\]: .*cycle/,
  },
  {
    mistake: 'missing environment variable',
    files: { 'f.yaml': CUSTOMERS_FLOW },
    config: 'connections:\n  memory:\n    connector: memory\n    token: ${FERRY_TEST_UNSET_TOKEN}\n',
    command: ['run', 'customers'],
    expected: /^config\/ferry\.yaml:4:12 connections\.memory\.token: environment variable FERRY_TEST_UNSET_TOKEN is not set$/,
  },
];

describe('bad input', () => {
  it.each(CORPUS)('$mistake: exit 2, a positioned message, no stack trace', async ({ files, config, command, expected }) => {
    const result = await validate(files, config, command);
    expect(result.code).toBe(2);
    expect(result.err.split('\n')[0]).toMatch(expected);
    expect(result.err).not.toMatch(STACK_TRACE);
  });

  it('fuzzed flow files: always exit 0 or 2, every message positioned, never a stack trace', { timeout: 120_000 }, async () => {
    const yamlish = fc.constantFrom(':', ' ', '\n', '  ', '{', '}', '[', ']', '"', "'", '#', '- ', '&a', '*a', '!!str ', '|', '>', '%', '@', '`', '\t', '$', '(', ')', '0', '-1', 'null', 'true', '1e999', '\u0000', '\u00e9', '\ud83d\ude00');
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 8 }), yamlish) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('line' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 30 }), yamlish) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 6 }), async (edits) => {
        let text = CUSTOMERS_FLOW;
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          if (e.kind === 'insert') text = text.slice(0, at) + e.text + text.slice(at);
          else if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + e.length);
          else {
            const lines = text.split('\n');
            lines[e.at % lines.length] = e.text;
            text = lines.join('\n');
          }
        }
        const result = await validate({ 'fuzzed.yaml': text });
        expect([0, 2]).toContain(result.code);
        expect(result.err).not.toMatch(STACK_TRACE);
        if (result.code === 2) {
          const lines = result.err.split('\n');
          for (const line of lines.slice(0, -1)) expect(line).toMatch(POSITIONED);
          expect(lines.at(-1)).toMatch(/^\d+ problems? in \d+ file\(s\)$/);
        }
      }),
      { numRuns: process.env.FERRY_HEAVY ? 2_000 : 200, seed: process.env.FERRY_SEED ? Number(process.env.FERRY_SEED) : undefined },
    );
  });
});
