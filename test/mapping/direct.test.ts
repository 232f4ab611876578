/**
 * The direct evaluator gives JSONata's answer, or JSONata's error, for every expression it takes:
 * each expression of the shipped flows it compiles, and expressions chosen for JSONata's sequence
 * rules (flattening, a sequence of one, constructors inside paths), over generated records.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AstNode, compileDirect } from '../../src/mapping/direct.js';
import { parseExpression } from '../../src/mapping/expression.js';
import { ferryFunctions, PURE_FUNCTIONS } from '../../src/mapping/functions.js';

const bindings = ferryFunctions({ target: () => 'T-1', source: () => 'S-1' });

const CHOSEN = [
  'a',
  'a.b',
  'list',
  'list.v',
  'list.w.x',
  'list.list.v',
  // Own fields only: a record's `constructor` is its prototype's, not data.
  '[constructor]',
  '[list.constructor]',
  '[list.v]',
  '[list]',
  '[[list.v]]',
  '[1, list.v, [2], a]',
  "list.{ 'v': v, 'w': w.x }",
  "[list.{ 'v': v, 'sum': $addMoney(v, w.x) }]",
  "{ 'a': a, 'n': 1, 'none': missing }",
  "{ 'all': list.v }",
  "list.[v, 'x']",
  'list.(v)',
  '(a.b)',
  '$',
  "list.{ 'me': $ }",
  '$sumMoney(list.v)',
  '$sumMoney(list.($mulMoney(v, quantity)))',
  '$addMoney($sumMoney(list.($mulMoney(v, quantity))), total_tax)',
  '$money(a)',
  '$money(a.b, 0)',
  '$cents(v)',
  '$fromCents(quantity)',
  '$date(created_at)',
  '$addDays($date(created_at), quantity)',
  "'text'",
  '12.5',
  'true',
  'null',
];

/** Every expression in the shipped flows: mapping values, rule conditions, filters, match values. */
function shippedExpressions(): string[] {
  const found: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === 'string') found.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  const dir = join(import.meta.dirname, '../../flows');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const flow = parse(readFileSync(join(dir, file), 'utf8')) as { mapping?: unknown; rules?: { when?: string }[]; source?: { filter?: string }; target?: { match?: { value?: string } } };
    collect(flow.mapping);
    for (const rule of flow.rules ?? []) if (rule.when) found.push(rule.when);
    if (flow.source?.filter) found.push(flow.source.filter);
    if (flow.target?.match?.value) found.push(flow.target.match.value);
  }
  return found;
}

const isDirect = (text: string) => compileDirect(jsonata(text).ast() as AstNode, PURE_FUNCTIONS) !== undefined;

/** Field names the expressions read, so generated records hit their paths. */
function fieldNames(texts: string[]): string[] {
  const names = new Set<string>(['list', 'v', 'w', 'x', 'quantity']);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; value?: unknown };
    if (n.type === 'name') names.add(String(n.value));
    Object.values(node).forEach(visit);
  };
  texts.forEach((t) => visit(jsonata(t).ast()));
  return [...names];
}

async function outcome(run: () => unknown): Promise<{ value: unknown } | { error: string }> {
  try {
    // A JSON round trip compares data, not JSONata's sequence flags or null prototypes.
    return { value: JSON.parse(JSON.stringify({ v: await run() })).v };
  } catch (error) {
    return { error: String((error as { message?: string }).message ?? error) };
  }
}

describe('direct evaluator', () => {
  const shipped = shippedExpressions().filter(isDirect);
  const expressions = [...new Set([...CHOSEN, ...shipped])];
  const names = fieldNames(expressions);

  it('takes the expressions chosen for it and most of the shipped flows’ expressions, and not what it cannot do', () => {
    expect(CHOSEN.filter((t) => !isDirect(t))).toEqual([]);
    expect(shipped.length).toBeGreaterThan(40);
    for (const text of ['$lookup("f", id)', 'list[v > 1]', 'a & b', '$count(list)', 'list^(v)', '$x := 1', "{ a: 'computed key' }", "{ 'k': 1, 'k': 2 }"]) {
      expect(isDirect(text), text).toBe(false);
    }
  });

  it('agrees with JSONata on generated records, answers and errors alike', async () => {
    const scalar = fc.oneof(fc.integer({ min: -5, max: 50 }), fc.constantFrom('19.99', '0.1', '5', 'n/a', '', '2026-03-01T03:00:00Z', 'x'), fc.constant(null), fc.boolean());
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...names), tie('value'), { maxKeys: 5 })),
    }));
    const record = fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(record, async (input) => {
        for (const text of expressions) {
          const parsed = parseExpression(text);
          if (!parsed.ok) throw new Error(parsed.message);
          const direct = await outcome(() => parsed.expression.evaluate(input, bindings));
          const reference = await outcome(() => jsonata(text).evaluate(input, bindings));
          expect(direct, `${text} over ${JSON.stringify(input)}`).toEqual(reference);
        }
      }),
      { numRuns: 300, seed: 20261123 },
    );
  });
});
