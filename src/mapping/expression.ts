/**
 * Mapping expressions are JSONata (https://docs.jsonata.org). Each is parsed once per flow. The
 * common ones (paths, constructors, Ferry's money and date functions) are evaluated directly, with
 * JSONata's semantics and without its promise per node (direct.ts); the rest by JSONata itself.
 */
import jsonata from 'jsonata';
import { type AstNode, compileDirect, OUTSIDE_SUBSET } from './direct.js';
import { PURE_FUNCTIONS } from './functions.js';

export type Bindings = Record<string, unknown>;

export interface Expression {
  readonly text: string;
  evaluate(input: unknown, bindings: Bindings): unknown | Promise<unknown>;
}

export type ParseResult = { ok: true; expression: Expression } | { ok: false; message: string; position?: number };

export function parseExpression(text: string): ParseResult {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(text);
  } catch (error) {
    const e = error as { message?: string; position?: number };
    return { ok: false, message: e.message ?? String(error), position: e.position };
  }
  const slow = (input: unknown, bindings: Bindings) => compiled.evaluate(input, bindings);
  const direct = compileDirect(compiled.ast() as AstNode, PURE_FUNCTIONS);
  if (!direct) return { ok: true, expression: { text, evaluate: slow } };
  return {
    ok: true,
    expression: {
      text,
      evaluate(input, bindings) {
        // JSONata wraps an array input in a sequence of its own; rare for a record, so left to it.
        if (Array.isArray(input)) return slow(input, bindings);
        try {
          return direct(input, bindings);
        } catch (error) {
          if (error === OUTSIDE_SUBSET) return slow(input, bindings);
          throw error;
        }
      },
    },
  };
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
