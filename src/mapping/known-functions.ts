import { closest } from '../text/closest.js';

/**
 * The functions an expression may call: JSONata's library and Ferry's own. A call to any other name
 * (`$lowercas(name)`) would only fail when a record reached it; it is refused when the flow is loaded.
 */

/** JSONata 2's function library (https://docs.jsonata.org: string, numeric, aggregation, boolean, array, object, date, higher-order). */
export const JSONATA_FUNCTIONS = [
  'string', 'length', 'substring', 'substringBefore', 'substringAfter', 'uppercase', 'lowercase', 'trim', 'pad', 'contains', 'split', 'join', 'match', 'replace', 'eval',
  'base64encode', 'base64decode', 'encodeUrlComponent', 'encodeUrl', 'decodeUrlComponent', 'decodeUrl', 'formatNumber', 'formatBase', 'formatInteger', 'parseInteger',
  'number', 'abs', 'floor', 'ceil', 'round', 'power', 'sqrt', 'random',
  'sum', 'max', 'min', 'average', 'count',
  'boolean', 'not', 'exists',
  'append', 'sort', 'reverse', 'shuffle', 'distinct', 'zip',
  'keys', 'lookup', 'spread', 'merge', 'sift', 'each', 'error', 'assert', 'type',
  'now', 'millis', 'fromMillis', 'toMillis',
  'map', 'filter', 'single', 'reduce',
] as const;

/** Ferry's functions (functions.ts); `ref` and `creditExceeded` are bound by the run, `isNew` per record in rules. */
export const FERRY_FUNCTIONS = ['lookup', 'tryLookup', 'sourceOf', 'money', 'sumMoney', 'addMoney', 'subMoney', 'mulMoney', 'cents', 'fromCents', 'date', 'addDays', 'ref', 'creditExceeded', 'isNew'] as const;

const KNOWN: ReadonlySet<string> = new Set<string>([...JSONATA_FUNCTIONS, ...FERRY_FUNCTIONS]);

interface Node {
  type?: string;
  value?: unknown;
  position?: number;
  procedure?: Node;
  lhs?: Node;
  arguments?: Node[];
}

/** Calls in a parsed expression to names that are neither known nor bound in the expression itself (`$f := function…`). */
export function unknownCalls(ast: unknown): { name: string; position?: number; suggestion?: string }[] {
  const bound = new Set<string>();
  const calls: { name: string; position?: number }[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.type === 'bind' && n.lhs?.type === 'variable') bound.add(String(n.lhs.value));
    if (n.type === 'lambda') for (const argument of n.arguments ?? []) if (argument.type === 'variable') bound.add(String(argument.value));
    if ((n.type === 'function' || n.type === 'partial') && n.procedure?.type === 'variable') calls.push({ name: String(n.procedure.value), position: n.procedure.position });
    Object.values(node).forEach(visit);
  };
  visit(ast);
  return calls.filter((c) => !KNOWN.has(c.name) && !bound.has(c.name)).map((c) => ({ ...c, suggestion: closest(c.name, KNOWN) }));
}
