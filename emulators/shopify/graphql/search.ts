/**
 * The part of Shopify's search syntax (https://shopify.dev/docs/api/usage/search-syntax) a sync uses:
 * terms joined by spaces or `AND`, each `field:value` or `field:<op>value` with `<`, `<=`, `>`, `>=`,
 * values bare or quoted, `-field:value` to negate, and bare words matched against the record's text.
 * Dates compare as instants, ids as numbers, the rest as case-insensitive text.
 */
export type Searchable = (field: string) => unknown;
export class SearchSyntaxError extends Error {}

interface Term {
  field?: string;
  op: '=' | '<' | '<=' | '>' | '>=';
  value: string;
  negated: boolean;
}

const TERM = /(-)?(?:([a-z_]+):)?(<=|>=|<|>)?('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s]+)/y;

export function parseSearch(query: string): Term[] {
  const terms: Term[] = [];
  let at = 0;
  while (at < query.length) {
    if (/\s/.test(query[at]!)) {
      at++;
      continue;
    }
    TERM.lastIndex = at;
    const match = TERM.exec(query);
    if (!match) throw new SearchSyntaxError(`cannot read the search query at position ${at}: ${query.slice(at, at + 20)}`);
    at = TERM.lastIndex;
    const [, negated, field, op, raw] = match;
    if (!field && !op && raw === 'AND') continue;
    if (!field && !op && raw === 'OR') throw new SearchSyntaxError('OR is not supported by this emulator');
    const value = /^['"]/.test(raw!) ? raw!.slice(1, -1).replace(/\\(.)/g, '$1') : raw!;
    terms.push({ field, op: (op as Term['op'] | undefined) ?? '=', value, negated: Boolean(negated) });
  }
  return terms;
}

function compare(actual: unknown, term: Term): boolean {
  if (actual === null || actual === undefined) return false;
  if (Array.isArray(actual)) return actual.some((a) => compare(a, term));
  const asDate = typeof actual === 'string' && /^\d{4}-\d\d-\d\d/.test(actual) ? Date.parse(actual) : NaN;
  const wantedDate = Date.parse(term.value);
  let order: number;
  if (!Number.isNaN(asDate) && !Number.isNaN(wantedDate)) order = asDate - wantedDate;
  else if (typeof actual === 'number') order = actual - Number(term.value);
  else {
    const a = String(actual).toLowerCase();
    const b = term.value.toLowerCase();
    order = a < b ? -1 : a > b ? 1 : 0;
  }
  switch (term.op) {
    case '=':
      return order === 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/** A predicate over records, given how to read a search field of one. */
export function searchFilter(query: string | undefined, text: (record: Searchable) => unknown[]): (record: Searchable) => boolean {
  const terms = query ? parseSearch(query) : [];
  return (record) =>
    terms.every((term) => {
      const hit = term.field ? compare(record(term.field), term) : text(record).some((t) => String(t ?? '').toLowerCase().includes(term.value.toLowerCase()));
      return hit !== term.negated;
    });
}
