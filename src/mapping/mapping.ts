/**
 * A flow's mapping, compiled once: target field → expression over the source record.
 * Nested YAML objects build nested target objects; a field whose expression yields nothing is left out.
 */
import type { JsonObject } from '../connector/types.js';
import { MissingParentError, PermanentError } from '../errors.js';
import { formatPath } from '../yaml/yaml-file.js';
import { type Bindings, type Expression, parseExpression } from './expression.js';

export type MappingSpec = { [field: string]: string | number | boolean | MappingSpec };

type CompiledNode =
  | { kind: 'constant'; value: unknown }
  | { kind: 'expression'; expression: Expression; field: string }
  | { kind: 'object'; fields: [string, CompiledNode][] };

export interface ExpressionProblem {
  path: (string | number)[];
  message: string;
}

export class CompiledMapping {
  private constructor(private readonly root: CompiledNode) {}

  /** Compiles every expression; returns all the problems at once, or the mapping. */
  static compile(spec: MappingSpec, pathPrefix: (string | number)[] = ['mapping']): { mapping?: CompiledMapping; problems: ExpressionProblem[] } {
    const problems: ExpressionProblem[] = [];
    const root = compileNode(spec, pathPrefix, problems);
    return problems.length ? { problems } : { mapping: new CompiledMapping(root), problems };
  }

  async evaluate(record: JsonObject, bindings: Bindings): Promise<JsonObject> {
    return (await evaluateNode(this.root, record, bindings)) as JsonObject;
  }
}

function compileNode(spec: MappingSpec[string], path: (string | number)[], problems: ExpressionProblem[]): CompiledNode {
  if (typeof spec === 'number' || typeof spec === 'boolean') return { kind: 'constant', value: spec };
  if (typeof spec === 'string') {
    const parsed = parseExpression(spec);
    if (parsed.ok) return { kind: 'expression', expression: parsed.expression, field: formatPath(path) };
    const at = parsed.position !== undefined ? ` (at character ${parsed.position})` : '';
    problems.push({ path, message: `expression does not parse: ${parsed.message}${at}` });
    return { kind: 'constant', value: undefined };
  }
  // Anything else (null, a list) is the flow schema's to report; compiling goes on to find the other mistakes.
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return { kind: 'constant', value: undefined };
  return { kind: 'object', fields: Object.entries(spec).map(([k, v]) => [k, compileNode(v, [...path, k], problems)]) };
}

async function evaluateNode(node: CompiledNode, record: JsonObject, bindings: Bindings): Promise<unknown> {
  switch (node.kind) {
    case 'constant':
      return node.value;
    case 'expression': {
      try {
        return normalise(await node.expression.evaluate(record, bindings));
      } catch (error) {
        if (error instanceof MissingParentError) throw error;
        const message = (error as { message?: string }).message ?? String(error);
        throw new PermanentError(`${node.field}: ${message}`, { field: node.field, code: 'mapping' });
      }
    }
    case 'object': {
      const out: JsonObject = {};
      for (const [key, child] of node.fields) {
        const value = await evaluateNode(child, record, bindings);
        if (value !== undefined) out[key] = value;
      }
      return out;
    }
  }
}

/** JSONata marks its result arrays with extra properties (`sequence`, `keepSingleton`); copy to plain data. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalise(v);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  return value;
}
