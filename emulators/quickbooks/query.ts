/**
 * The QuickBooks query language, as Intuit documents it for the `query` endpoint
 * (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries):
 *   SELECT * | COUNT(*) FROM Entity [WHERE cond AND cond ...] [ORDERBY field [ASC|DESC], ...]
 *   [STARTPOSITION n] [MAXRESULTS m]
 * Conditions: field =, !=, <, >, <=, >= value | field IN (v, ...) | field LIKE 'pattern%'.
 * Keywords and entity names are case-insensitive; there is no OR. MAXRESULTS is at most 1000.
 */
export interface Query {
  entity: string;
  count: boolean;
  where: Condition[];
  orderBy: { field: string; descending: boolean }[];
  startPosition: number;
  maxResults: number;
}

export interface Condition {
  field: string;
  op: '=' | '!=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE';
  values: (string | number | boolean)[];
}

export class QuerySyntaxError extends Error {}

const TOKEN = /\s*(\*|\(|\)|,|<=|>=|!=|<>|=|<|>|'(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_.]*)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    TOKEN.lastIndex = index;
    const match = TOKEN.exec(text);
    if (!match) throw new QuerySyntaxError(`Error parsing query: unexpected text at position ${index}: ${text.slice(index, index + 20)}`);
    tokens.push(match[1]!);
    index = TOKEN.lastIndex;
  }
  return tokens;
}

export function parseQuery(text: string): Query {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i]?.toUpperCase();
  const next = () => {
    const token = tokens[i++];
    if (token === undefined) throw new QuerySyntaxError('Error parsing query: unexpected end of query');
    return token;
  };
  const expect = (word: string) => {
    const token = next();
    if (token.toUpperCase() !== word) throw new QuerySyntaxError(`Error parsing query: expected ${word}, found ${token}`);
  };
  const value = (): string | number | boolean => {
    const token = next();
    if (token.startsWith("'")) return token.slice(1, -1).replace(/\\(.)/g, '$1');
    if (/^-?\d/.test(token)) return Number(token);
    if (/^(true|false)$/i.test(token)) return token.toLowerCase() === 'true';
    throw new QuerySyntaxError(`Error parsing query: expected a value, found ${token}`);
  };

  expect('SELECT');
  let count = false;
  if (peek() === 'COUNT') {
    next();
    expect('(');
    expect('*');
    expect(')');
    count = true;
  } else if (peek() === '*') {
    next();
  } else {
    // A field list: QuickBooks returns whole entities anyway for the fields it knows.
    do next();
    while (peek() === ',' && next());
  }
  expect('FROM');
  const entity = next();
  const query: Query = { entity, count, where: [], orderBy: [], startPosition: 1, maxResults: 100 };

  if (peek() === 'WHERE') {
    next();
    do {
      const field = next();
      const op = next().toUpperCase();
      if (op === 'IN') {
        expect('(');
        const values = [value()];
        while (peek() === ',') {
          next();
          values.push(value());
        }
        expect(')');
        query.where.push({ field, op: 'IN', values });
      } else if (['=', '!=', '<>', '<', '>', '<=', '>=', 'LIKE'].includes(op)) {
        query.where.push({ field, op: (op === '<>' ? '!=' : op) as Condition['op'], values: [value()] });
      } else {
        throw new QuerySyntaxError(`Error parsing query: unsupported operator ${op}`);
      }
    } while (peek() === 'AND' && next());
    if (peek() === 'OR') throw new QuerySyntaxError('Error parsing query: OR is not supported');
  }
  if (peek() === 'ORDERBY' || peek() === 'ORDER') {
    if (next().toUpperCase() === 'ORDER') expect('BY');
    do {
      const field = next();
      let descending = false;
      if (peek() === 'ASC' || peek() === 'DESC') descending = next().toUpperCase() === 'DESC';
      query.orderBy.push({ field, descending });
    } while (peek() === ',' && next());
  }
  while (peek() === 'STARTPOSITION' || peek() === 'MAXRESULTS') {
    const word = next().toUpperCase();
    const n = Number(next());
    if (!Number.isInteger(n) || n < 1) throw new QuerySyntaxError(`Error parsing query: ${word} must be a positive integer`);
    if (word === 'STARTPOSITION') query.startPosition = n;
    // "The maximum number of entities that can be returned in a response is 1000" (Intuit, Query
    // operations and syntax, Pagination): a larger MAXRESULTS is answered with 1000.
    else query.maxResults = Math.min(n, 1000);
  }
  if (i < tokens.length) throw new QuerySyntaxError(`Error parsing query: unexpected ${tokens[i]}`);
  return query;
}

/** A field as queries name it (`Metadata.LastUpdatedTime`, `CustomerRef`, `PrimaryEmailAddr`) read from an entity. */
export function fieldValue(entity: Record<string, unknown>, field: string): unknown {
  let value: unknown = entity;
  for (const part of field.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    const record = value as Record<string, unknown>;
    // Queries say `Metadata`, the JSON says `MetaData`; match names case-insensitively.
    const key = Object.keys(record).find((k) => k.toLowerCase() === part.toLowerCase());
    value = key === undefined ? undefined : record[key];
  }
  // References compare by id, email fields by address.
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if ('value' in record) return record.value;
    if ('Address' in record) return record.Address;
  }
  return value;
}

function compare(a: unknown, b: string | number | boolean): number {
  if (typeof b === 'number') return Number(a) - b;
  if (typeof b === 'boolean') return String(a) === String(b) ? 0 : 1;
  const dates = [Date.parse(String(a)), Date.parse(b)];
  if (/^\d{4}-\d{2}-\d{2}/.test(b) && !dates.some(Number.isNaN)) return dates[0]! - dates[1]!;
  const left = String(a ?? '').toLowerCase();
  const right = b.toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

export function matches(entity: Record<string, unknown>, condition: Condition): boolean {
  const actual = fieldValue(entity, condition.field);
  const [first] = condition.values;
  switch (condition.op) {
    case '=':
      return actual !== undefined && compare(actual, first!) === 0;
    case '!=':
      return compare(actual, first!) !== 0;
    case '<':
      return actual !== undefined && compare(actual, first!) < 0;
    case '>':
      return actual !== undefined && compare(actual, first!) > 0;
    case '<=':
      return actual !== undefined && compare(actual, first!) <= 0;
    case '>=':
      return actual !== undefined && compare(actual, first!) >= 0;
    case 'IN':
      return condition.values.some((v) => actual !== undefined && compare(actual, v) === 0);
    case 'LIKE': {
      const pattern = new RegExp(`^${String(first).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*')}$`, 'i');
      return pattern.test(String(actual ?? ''));
    }
  }
}

export function runQuery<T extends Record<string, unknown>>(entities: T[], query: Query): { rows: T[]; total: number } {
  let rows = entities.filter((e) => query.where.every((c) => matches(e, c)));
  const total = rows.length;
  if (query.orderBy.length) {
    rows = [...rows].sort((a, b) => {
      for (const { field, descending } of query.orderBy) {
        const va = fieldValue(a, field);
        const vb = fieldValue(b, field);
        const order = compare(va, typeof vb === 'number' ? vb : String(vb ?? ''));
        if (order !== 0) return descending ? -order : order;
      }
      return 0;
    });
  }
  return { rows: rows.slice(query.startPosition - 1, query.startPosition - 1 + query.maxResults), total };
}
