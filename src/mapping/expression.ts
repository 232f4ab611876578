/**
 * Mapping expressions are JSONata (https://docs.jsonata.org). Each is parsed once per flow.
 * Plain field paths (`email`, `billing_address.city`) and literals are by far the most common
 * expressions, so they skip the JSONata evaluator: same answer, a fraction of the cost.
 */
import jsonata from 'jsonata';

export type Bindings = Record<string, unknown>;

export interface Expression {
  readonly text: string;
  evaluate(input: unknown, bindings: Bindings): unknown | Promise<unknown>;
}

export type ParseResult = { ok: true; expression: Expression } | { ok: false; message: string; position?: number };

interface JsonataNode {
  type: string;
  value?: unknown;
  stages?: unknown[];
  predicate?: unknown[];
  group?: unknown;
  focus?: unknown;
  tuple?: unknown;
  keepArray?: boolean;
  steps?: JsonataNode[];
}

export function parseExpression(text: string): ParseResult {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(text);
  } catch (error) {
    const e = error as { message?: string; position?: number };
    return { ok: false, message: e.message ?? String(error), position: e.position };
  }
  const slow: Expression = { text, evaluate: (input, bindings) => compiled.evaluate(input, bindings) };
  return { ok: true, expression: fastPath(text, compiled.ast() as JsonataNode, slow) ?? slow };
}

function fastPath(text: string, ast: JsonataNode, slow: Expression): Expression | undefined {
  if (ast.type === 'string' || ast.type === 'number' || (ast.type === 'value' && typeof ast.value === 'boolean')) {
    const constant = ast.value;
    return { text, evaluate: () => constant };
  }
  if (ast.type !== 'path' || !ast.steps?.every(isPlainName)) return undefined;
  const names = ast.steps.map((s) => String(s.value));
  return {
    text,
    evaluate(input, bindings) {
      let value: unknown = input;
      for (const name of names) {
        // JSONata maps over arrays and flattens sequences; leave those cases to it.
        if (Array.isArray(value)) return slow.evaluate(input, bindings);
        if (value === null || typeof value !== 'object') return undefined;
        value = (value as Record<string, unknown>)[name];
      }
      return Array.isArray(value) ? slow.evaluate(input, bindings) : value;
    },
  };
}

function isPlainName(step: JsonataNode): boolean {
  return step.type === 'name' && !step.stages && !step.predicate && !step.group && !step.focus && !step.tuple && !step.keepArray;
}

/** Names of functions an expression calls with a literal first argument: `$lookup('flow', id)` → ['flow']. */
export function literalFirstArguments(text: string, functionName: string): string[] {
  let ast: unknown;
  try {
    ast = jsonata(text).ast();
  } catch {
    return [];
  }
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; procedure?: { type?: string; value?: unknown }; arguments?: { type?: string; value?: unknown }[] };
    if (n.type === 'function' && n.procedure?.type === 'variable' && n.procedure.value === functionName) {
      const first = n.arguments?.[0];
      if (first?.type === 'string') found.push(String(first.value));
    }
    Object.values(node).forEach(visit);
  };
  visit(ast);
  return found;
}
