/**
 * A flow's mapping, compiled once: target field → expression over the source record.
 * Nested YAML objects build nested target objects; a field whose expression yields nothing (undefined or
 * null, which is how HubSpot sends every property without a value) is left out,
 * and so is a nested object none of whose fields yields anything (`Buyer: { value: "customer ? …" }`
 * for an order without a customer is no `Buyer`, not `Buyer: {}`).
 */
import type { JsonObject } from '../connector/types.js';
import { formatPath } from '../yaml/yaml-file.js';
import { type Bindings, type Expression, evaluationError, parseExpression } from './expression.js';

export type MappingSpec = { [field: string]: string | number | boolean | MappingSpec };

type CompiledNode =
  | { kind: 'constant'; value: unknown }
  | { kind: 'expression'; expression: Expression; field: string }
  | { kind: 'object'; fields: [string, CompiledNode][] };

export interface ExpressionProblem {
  path: (string | number)[];
  message: string;
  /** Where in the file the problem is: the key rather than its value. */
  at?: 'key';
}

/** Keys that would reach an object's prototype rather than name a field (`out['__proto__'] = …` sets the prototype). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export class CompiledMapping {
  private constructor(private readonly root: CompiledNode) {}

  /** Compiles every expression; returns all the problems at once, or the mapping. */
  static compile(spec: MappingSpec, pathPrefix: (string | number)[] = ['mapping']): { mapping?: CompiledMapping; problems: ExpressionProblem[] } {
    const problems: ExpressionProblem[] = [];
    const root = compileNode(spec, pathPrefix, problems);
    return problems.length ? { problems } : { mapping: new CompiledMapping(root), problems };
  }

  /** Every source field the mapping reads from a record's root, in the order the mapping names them. */
  sourcePaths(): string[] {
    const paths = new Set<string>();
    const visit = (node: CompiledNode): void => {
      if (node.kind === 'expression') for (const path of node.expression.sourcePaths) paths.add(path);
      if (node.kind === 'object') for (const [, child] of node.fields) visit(child);
    };
    visit(this.root);
    return [...paths];
  }

  /** Synchronous while every expression answers directly; a promise once one needs JSONata. */
  evaluate(record: JsonObject, bindings: Bindings): JsonObject | Promise<JsonObject> {
    const payload = evaluateNode(this.root, record, bindings) as JsonObject | undefined | Promise<JsonObject | undefined>;
    return isPromise(payload) ? payload.then((p) => p ?? {}) : (payload ?? {});
  }
}

function compileNode(spec: MappingSpec[string], path: (string | number)[], problems: ExpressionProblem[]): CompiledNode {
  if (typeof spec === 'number' || typeof spec === 'boolean') return { kind: 'constant', value: spec };
  if (typeof spec === 'string') {
    const parsed = parseExpression(spec);
    if (parsed.ok) return { kind: 'expression', expression: parsed.expression, field: formatPath(path) };
    const at = parsed.position !== undefined ? ` (at character ${parsed.position})` : '';
    problems.push({ path, message: `${parsed.message}${at}` });
    return { kind: 'constant', value: undefined };
  }
  // Anything else (null, a list) is the flow schema's to report; compiling goes on to find the other mistakes.
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return { kind: 'constant', value: undefined };
  for (const key of Object.keys(spec)) if (FORBIDDEN_KEYS.has(key)) problems.push({ path: [...path, key], message: `'${key}' cannot be a target field name`, at: 'key' });
  return { kind: 'object', fields: Object.entries(spec).map(([k, v]) => [k, compileNode(v, [...path, k], problems)]) };
}

const isPromise = (value: unknown): value is Promise<unknown> => value instanceof Promise;

/**
 * Evaluates without a promise per field (most mappings never need one, and the microtasks cost more
 * than the fields); from the first field whose expression answers with a promise on, it awaits.
 */
function evaluateNode(node: CompiledNode, record: JsonObject, bindings: Bindings): unknown {
  switch (node.kind) {
    case 'constant':
      return node.value;
    case 'expression': {
      let result: unknown;
      try {
        result = node.expression.evaluate(record, bindings);
      } catch (error) {
        throw evaluationError(node.field, error, 'mapping');
      }
      return isPromise(result) ? result.then(normalise, (error: unknown) => Promise.reject(evaluationError(node.field, error, 'mapping'))) : normalise(result);
    }
    case 'object': {
      const out: JsonObject = {};
      for (let i = 0; i < node.fields.length; i++) {
        const [key, child] = node.fields[i]!;
        const value = evaluateNode(child, record, bindings);
        if (isPromise(value)) return finishObject(node.fields, i, value, out, record, bindings);
        if (value !== undefined) out[key] = value;
      }
      return nonEmpty(out);
    }
  }
}

const nonEmpty = (object: JsonObject): JsonObject | undefined => (Object.keys(object).length ? object : undefined);

async function finishObject(fields: [string, CompiledNode][], from: number, first: Promise<unknown>, out: JsonObject, record: JsonObject, bindings: Bindings): Promise<JsonObject | undefined> {
  for (let i = from; i < fields.length; i++) {
    const value = await (i === from ? first : evaluateNode(fields[i]![1], record, bindings));
    if (value !== undefined) out[fields[i]![0]] = value;
  }
  return nonEmpty(out);
}

/**
 * JSONata marks its result arrays with extra properties (`sequence`, `keepSingleton`); copy to plain
 * data. A null field is left out, as an absent one is; an array keeps its nulls, which hold places.
 */
function normalise(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map((item) => normalise(item) ?? null);
  if (typeof value === 'object' && value !== undefined) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalise(v);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  return value;
}
