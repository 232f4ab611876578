/**
 * A direct evaluator for the part of JSONata that most mappings use: field paths, literals, `$`,
 * array and object constructors, mapping over arrays (`lines.{ … }`, `lines.( … )`) and calls to
 * Ferry's pure functions (`$money`, `$sumMoney`, `$date`, …). JSONata 2 evaluates every node through
 * promises, which these expressions do not need; skipping them makes an order's mapping several
 * times cheaper.
 *
 * The semantics are JSONata's own, step by step: a path maps over arrays and flattens what it finds
 * into a sequence, a sequence of one is its item and an empty one is nothing, an array constructor
 * flattens sequences into one array. test/mapping/direct.test.ts checks every answer against JSONata
 * on generated records. An expression outside the subset is not compiled; an input the subset cannot
 * follow (an object constructor grouping several items, a function that is not bound) throws
 * `OUTSIDE_SUBSET`, and the caller asks JSONata instead. Every function called here is pure, so
 * evaluating again is safe.
 */
import type { Bindings } from './expression.js';

export type DirectEvaluator = (input: unknown, bindings: Bindings) => unknown;

/** Thrown when an input leads outside the subset; the caller evaluates with JSONata instead. */
export const OUTSIDE_SUBSET = Symbol('outside the direct evaluator');

/** JSONata AST node, as far as the subset reads it. */
export interface AstNode {
  type: string;
  value?: unknown;
  steps?: AstNode[];
  expressions?: AstNode[];
  lhs?: [AstNode, AstNode][];
  arguments?: AstNode[];
  procedure?: AstNode;
  consarray?: boolean;
}

/** Anything else set on a node (predicates, stages, grouping, focus and index bindings, …) is JSONata's to evaluate. */
const UNDERSTOOD_KEYS = new Set(['type', 'value', 'position', 'steps', 'expressions', 'lhs', 'arguments', 'procedure', 'consarray']);
const understood = (node: AstNode) => Object.entries(node).every(([key, value]) => value === undefined || UNDERSTOOD_KEYS.has(key));

/** A JSONata sequence: flattened into a path's result, unwrapped when it holds one item. */
const SEQUENCE = Symbol('sequence');
/** An array built by an array constructor inside a path: kept whole, never flattened. */
const CONSTRUCTED = Symbol('constructed');
type Marked = unknown[] & { [SEQUENCE]?: true; [CONSTRUCTED]?: true };

function sequence(): Marked {
  const s: Marked = [];
  s[SEQUENCE] = true;
  return s;
}

const isSequence = (value: unknown): value is Marked => Array.isArray(value) && (value as Marked)[SEQUENCE] === true;
const hasOwn = (value: object, key: string) => Object.prototype.hasOwnProperty.call(value, key);

/** Compiles `node` if every part of it is in the subset and names only `pureFunctions`. */
export function compileDirect(node: AstNode, pureFunctions: ReadonlySet<string>): DirectEvaluator | undefined {
  const inner = compileNode(node, pureFunctions);
  return inner && ((input, bindings) => unwrap(inner(input, bindings)));
}

/** What JSONata's `evaluate` does to every node's result. */
function unwrap(result: unknown): unknown {
  if (!isSequence(result)) return result;
  if (result.length === 0) return undefined;
  return result.length === 1 ? result[0] : result;
}

function compileNode(node: AstNode, pure: ReadonlySet<string>): DirectEvaluator | undefined {
  if (!understood(node)) return undefined;
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value': {
      const constant = node.value;
      return () => constant;
    }
    case 'variable':
      // `$`, the context; any other variable is JSONata's.
      return node.value === '' ? (input) => input : undefined;
    case 'name': {
      const key = String(node.value);
      return (input) => lookup(input, key);
    }
    case 'path':
      return compilePath(node.steps ?? [], pure);
    case 'block':
      return node.expressions?.length === 1 ? compileDirect(node.expressions[0]!, pure) : undefined;
    case 'unary':
      if (node.value === '[') return compileArray(node, pure);
      if (node.value === '{') return compileObject(node.lhs ?? [], pure);
      return undefined;
    case 'function':
      return compileCall(node, pure);
    default:
      return undefined;
  }
}

/** JSONata's `lookup`: a field of an object (own properties only), or of each item of an array, flattened. */
function lookup(input: unknown, key: string): unknown {
  if (Array.isArray(input)) {
    const found = sequence();
    for (const item of input) {
      const value = lookup(item, key);
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) found.push(v);
      else found.push(value);
    }
    return found;
  }
  return input !== null && typeof input === 'object' && hasOwn(input, key) ? (input as Record<string, unknown>)[key] : undefined;
}

function compilePath(steps: AstNode[], pure: ReadonlySet<string>): DirectEvaluator | undefined {
  if (!steps.length || steps[0]!.type === 'variable') return undefined;
  const evaluators = steps.map((step) => compileDirect(step, pure));
  if (evaluators.some((e) => !e)) return undefined;
  const compiled = evaluators as DirectEvaluator[];
  const general: DirectEvaluator = (input, bindings) => {
    let items = Array.isArray(input) ? input : [input];
    let result: unknown[] = sequence();
    for (let i = 0; i < compiled.length; i++) {
      result = step(items, compiled[i]!, bindings, i === compiled.length - 1);
      if (result.length === 0) break;
      items = result;
    }
    return result;
  };
  if (!steps.every((s) => s.type === 'name')) return general;
  // Field after field through objects, the commonest expression of all: no sequences needed until an array.
  const names = steps.map((s) => String(s.value));
  return (input, bindings) => {
    let value = input;
    for (const name of names) {
      if (Array.isArray(value)) return general(input, bindings);
      if (value === null || typeof value !== 'object' || !hasOwn(value, name)) return undefined;
      value = (value as Record<string, unknown>)[name];
    }
    // An array found at the end is the answer itself, as in JSONata.
    return value;
  };
}

/** One path step over each item, as JSONata's `evaluateStep`. */
function step(items: unknown[], evaluate: DirectEvaluator, bindings: Bindings, lastStep: boolean): unknown[] {
  const results: unknown[] = [];
  for (const item of items) {
    const value = evaluate(item, bindings);
    if (value !== undefined) results.push(value);
  }
  if (lastStep && results.length === 1 && Array.isArray(results[0]) && !isSequence(results[0])) return results[0];
  const flat = sequence();
  for (const value of results) {
    if (!Array.isArray(value) || (value as Marked)[CONSTRUCTED]) flat.push(value);
    else for (const v of value) flat.push(v);
  }
  return flat;
}

function compileArray(node: AstNode, pure: ReadonlySet<string>): DirectEvaluator | undefined {
  const items = (node.expressions ?? []).map((item) => ({ evaluate: compileDirect(item, pure), nested: item.type === 'unary' && item.value === '[' }));
  if (items.some((i) => !i.evaluate)) return undefined;
  const constructed = node.consarray === true;
  return (input, bindings) => {
    let result: Marked = [];
    for (const item of items) {
      const value = item.evaluate!(input, bindings);
      if (value === undefined) continue;
      if (item.nested) result.push(value);
      else result = result.concat(Array.isArray(value) ? value : [value]);
    }
    if (constructed) result[CONSTRUCTED] = true;
    return result;
  };
}

function compileObject(pairs: [AstNode, AstNode][], pure: ReadonlySet<string>): DirectEvaluator | undefined {
  const fields: [string, DirectEvaluator][] = [];
  for (const [key, value] of pairs) {
    // Computed keys, a key given twice (an error in JSONata) and `__proto__` are left to JSONata.
    if (key.type !== 'string' || !understood(key)) return undefined;
    const name = String(key.value);
    if (name === '__proto__' || fields.some(([n]) => n === name)) return undefined;
    const evaluate = compileDirect(value, pure);
    if (!evaluate) return undefined;
    fields.push([name, evaluate]);
  }
  return (input, bindings) => {
    // Over several items an object constructor groups them; over one (or none) it builds one object.
    let item = input;
    if (Array.isArray(input)) {
      if (input.length > 1) throw OUTSIDE_SUBSET;
      item = input[0];
    }
    const out: Record<string, unknown> = {};
    for (const [name, evaluate] of fields) {
      const value = evaluate(item, bindings);
      if (value !== undefined) out[name] = value;
    }
    return out;
  };
}

function compileCall(node: AstNode, pure: ReadonlySet<string>): DirectEvaluator | undefined {
  const procedure = node.procedure;
  if (procedure?.type !== 'variable' || !pure.has(String(procedure.value))) return undefined;
  if (!understood(procedure)) return undefined;
  const name = String(procedure.value);
  const args = (node.arguments ?? []).map((a) => compileDirect(a, pure));
  if (args.some((a) => !a)) return undefined;
  return (input, bindings) => {
    const fn = bindings[name];
    if (typeof fn !== 'function') throw OUTSIDE_SUBSET;
    const result: unknown = fn.apply(input, args.map((a) => a!(input, bindings)));
    if (result instanceof Promise) throw OUTSIDE_SUBSET;
    return result;
  };
}
