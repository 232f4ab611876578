/**
 * Mapping expressions are JSONata (https://docs.jsonata.org). Each is parsed once per flow. The
 * common ones (paths, constructors, Ferry's money and date functions) are evaluated directly, with
 * JSONata's semantics and without its promise per node (direct.ts); the rest by JSONata itself.
 */
import { createRequire } from 'node:module';
import type Jsonata from 'jsonata';

/**
 * JSONata is CommonJS: required, not imported, because an ESM import of it first scans its whole source
 * for named exports, which doubled its share of every command's start (measured: 41 ms against 18 ms).
 */
const jsonata = createRequire(import.meta.url)('jsonata') as typeof Jsonata;
import { type AstNode, compileDirect, OUTSIDE_SUBSET } from './direct.js';
import { FerryError, MissingParentError, PermanentError, TransientError } from '../errors.js';
import { PURE_FUNCTIONS } from './functions.js';
import { unknownCalls } from './known-functions.js';

export type Bindings = Record<string, unknown>;

/**
 * Every evaluation JSONata runs has a budget (its own guardrails): a function that calls itself for ever
 * would otherwise spin without end, and one whose recursion grows would take the heap and the process
 * with it. Past either, the evaluation throws (D1012, D1011) and the record fails with that reason.
 * Mappings take microseconds; a second is a loop, not a large order.
 */
export const EXPRESSION_BUDGET = { timeout: 1_000, stack: 1_000 } as const;

/**
 * What a failed evaluation means for the record, named by where the expression is written. A missing
 * parent, or a lookup's transient or auth trouble, keeps its class (the record waits, or is retried).
 * Past the time budget is not surely the record's fault: JSONata's clock runs from the evaluation's
 * start through every await, so on a daemon busy with many flows it also counts their turns. It is
 * tried again by later runs, and a true loop still ends dead-lettered at the flow's limit. Anything
 * else is permanent: the same record and expression fail the same way.
 */
export function evaluationError(where: string, error: unknown, code: string): unknown {
  if (error instanceof MissingParentError || (error instanceof FerryError && error.kind !== 'permanent')) return error;
  const message = `${where}: ${(error as { message?: string }).message ?? String(error)}`;
  if ((error as { code?: string }).code === 'D1012') return new TransientError(message, { field: where, code: 'expression-timeout' });
  return new PermanentError(message, { field: where, code });
}

export interface Expression {
  readonly text: string;
  /** The source fields the expression reads from the record's root (`name`, `customer.id`), for a dry run to show. */
  readonly sourcePaths: readonly string[];
  evaluate(input: unknown, bindings: Bindings): unknown | Promise<unknown>;
}

/** A failure says what is wrong in full: `expression does not parse: …`, or `unknown function $x`. */
export type ParseResult = { ok: true; expression: Expression } | { ok: false; message: string; position?: number };

export function parseExpression(text: string): ParseResult {
  let ast: AstNode;
  try {
    ast = jsonata(text, EXPRESSION_BUDGET).ast() as AstNode;
  } catch (error) {
    const e = error as { message?: string; position?: number };
    return { ok: false, message: `expression does not parse: ${e.message ?? String(error)}`, position: e.position };
  }
  const [unknown] = unknownCalls(ast);
  if (unknown) return { ok: false, message: `unknown function $${unknown.name}${unknown.suggestion ? ` (did you mean $${unknown.suggestion}?)` : ''}`, position: unknown.position };
  const direct = compileDirect(ast, PURE_FUNCTIONS);
  // A compiled JSONata expression weighs about 15 KB, so none is kept from the parse: one is made when an
  // evaluation first needs JSONata. Validating a flow of tens of thousands of fields stays small.
  let compiled: Jsonata.Expression | undefined;
  const slow = (input: unknown, bindings: Bindings) => {
    compiled ??= jsonata(text, EXPRESSION_BUDGET);
    return compiled.evaluate(input, bindings).catch((error: unknown) => Promise.reject(asError(error)));
  };
  const sourcePaths = rootPaths(ast);
  if (!direct) return { ok: true, expression: { text, sourcePaths, evaluate: slow } };
  return {
    ok: true,
    expression: {
      text,
      sourcePaths,
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

/**
 * The field paths an expression reads from the record's root: a path's leading names (`customer.id`
 * in `customer.id & x`), not the names inside its later steps, which are relative to what came before
 * (`price` in `lines.{ 'Amount': price }`).
 */
function rootPaths(ast: AstNode): string[] {
  type Node = { type?: string; value?: unknown; steps?: Node[] };
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.type === 'name') return void found.add(String(n.value));
    if (n.type === 'path' && n.steps) {
      const leading: string[] = [];
      for (const step of n.steps) {
        if (step.type !== 'name' || Object.keys(step).some((k) => k === 'stages' || k === 'predicate' || k === 'group')) break;
        leading.push(String(step.value));
      }
      if (leading.length) found.add(leading.join('.'));
      else visit(n.steps[0]);
      return;
    }
    Object.values(node).forEach(visit);
  };
  visit(ast);
  return [...found];
}

/** JSONata throws plain objects (`{ code, position, message }`); the rest of Ferry expects Errors. */
function asError(error: unknown): unknown {
  if (error instanceof Error || !error || typeof error !== 'object') return error;
  const { message, code } = error as { message?: string; code?: string };
  return Object.assign(new Error(message ?? String(code ?? 'expression failed')), { code });
}

/**
 * The flows an expression names through `functions` (`$lookup('customers', id)` → lookup, 'customers').
 * `flow` is undefined where the name is not a quoted literal (computed, or the function passed as a
 * value), which no load-time check could follow.
 */
export function flowNameArguments(text: string, functions: readonly string[]): { fn: string; flow?: string }[] {
  if (!functions.some((fn) => text.includes(`$${fn}`))) return [];
  let ast: unknown;
  try {
    ast = jsonata(text).ast();
  } catch {
    return [];
  }
  const found: { fn: string; flow?: string }[] = [];
  type Node = { type?: string; value?: unknown; procedure?: Node; arguments?: Node[] };
  const named = (node: Node | undefined) => node?.type === 'variable' && functions.includes(String(node.value));
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.type === 'function' && named(n.procedure)) {
      const first = n.arguments?.[0];
      found.push({ fn: String(n.procedure!.value), flow: first?.type === 'string' ? String(first.value) : undefined });
      n.arguments?.forEach(visit);
      return;
    }
    if (named(n)) found.push({ fn: String(n.value) });
    Object.values(node).forEach(visit);
  };
  visit(ast);
  return found;
}
