/**
 * The Stripe emulator's state: objects by type, in creation order, with Stripe's list semantics
 * (newest first, `starting_after` / `ending_before` cursors, `created` ranges) and its search syntax.
 */
import { randomToken } from '../core/random.js';
import type { StripeObject } from './objects.js';
import { tableIn } from '../core/tables.js';

export const ID_PREFIX = {
  customer: 'cus',
  product: 'prod',
  price: 'price',
  invoiceitem: 'ii',
  invoice: 'in',
  payment_intent: 'pi',
  charge: 'ch',
  refund: 're',
  balance_transaction: 'txn',
  event: 'evt',
  invoice_payment: 'inpay',
} as const;

export type StripeType = keyof typeof ID_PREFIX;

export class StripeStore {
  private readonly objects = new Map<StripeType, Map<string, StripeObject>>();
  /** Seconds since the epoch; advances by at least one per object so `created` orders strictly. */
  private clock: number;

  constructor(
    private readonly random: () => number,
    startAt = Math.floor(Date.now() / 1000),
  ) {
    this.clock = startAt;
  }

  newId(type: StripeType): string {
    return `${ID_PREFIX[type]}_${randomToken(this.random, type === 'customer' || type === 'product' ? 14 : 24)}`;
  }

  now(): number {
    this.clock = Math.max(this.clock, Math.floor(Date.now() / 1000));
    return this.clock;
  }

  add(type: StripeType, object: StripeObject): StripeObject {
    const table = this.table(type);
    table.set(String(object.id), object);
    return object;
  }

  get(type: StripeType, id: string): StripeObject | undefined {
    return this.table(type).get(id);
  }

  remove(type: StripeType, id: string): void {
    this.table(type).delete(id);
  }

  all(type: StripeType): StripeObject[] {
    return [...this.table(type).values()];
  }

  private table(type: StripeType): Map<string, StripeObject> {
    return tableIn(this.objects, type);
  }

  snapshot(): Record<string, StripeObject[]> {
    return Object.fromEntries([...this.objects].map(([type, table]) => [type, [...table.values()]]));
  }

  restore(snapshot: Record<string, StripeObject[]>): void {
    this.objects.clear();
    for (const [type, list] of Object.entries(snapshot)) for (const object of list) this.add(type as StripeType, object);
    this.clock = Math.max(this.clock, ...Object.values(snapshot).flat().map((o) => Number(o.created ?? 0)));
  }
}

export interface ListParams {
  limit?: string;
  starting_after?: string;
  ending_before?: string;
  created?: string | Record<string, string>;
}

/** Stripe's list envelope over objects newest first. Returns undefined for a cursor id that does not exist. */
export function listPage(objects: StripeObject[], params: ListParams, url: string): StripeObject | { error: string } {
  const limit = params.limit === undefined ? 10 : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return { error: 'limit' };
  let list = objects.filter((o) => matchesCreated(Number(o.created), params.created));
  // Newest first; ties (same second) by insertion order, newest first too.
  list = list.map((o, i) => ({ o, i })).sort((a, b) => Number(b.o.created) - Number(a.o.created) || b.i - a.i).map((x) => x.o);
  if (params.starting_after) {
    const index = list.findIndex((o) => o.id === params.starting_after);
    if (index < 0) return { error: 'starting_after' };
    list = list.slice(index + 1);
  } else if (params.ending_before) {
    const index = list.findIndex((o) => o.id === params.ending_before);
    if (index < 0) return { error: 'ending_before' };
    list = list.slice(Math.max(0, index - limit), index);
    return { object: 'list', data: list, has_more: index - limit > 0, url };
  }
  return { object: 'list', data: list.slice(0, limit), has_more: list.length > limit, url };
}

function matchesCreated(created: number, filter: ListParams['created']): boolean {
  if (filter === undefined) return true;
  if (typeof filter === 'string') return created === Number(filter);
  if (filter.gt !== undefined && !(created > Number(filter.gt))) return false;
  if (filter.gte !== undefined && !(created >= Number(filter.gte))) return false;
  if (filter.lt !== undefined && !(created < Number(filter.lt))) return false;
  if (filter.lte !== undefined && !(created <= Number(filter.lte))) return false;
  return true;
}

/**
 * A subset of Stripe's search query language (https://docs.stripe.com/search#search-query-language):
 * clauses `field:'value'`, `metadata['key']:'value'`, `field>number`, joined by AND or OR (not mixed).
 */
export function searchFilter(query: string): ((object: StripeObject) => boolean) | undefined {
  const join = /\sOR\s/.test(query) ? 'OR' : 'AND';
  const clauses = query.split(new RegExp(`\\s${join}\\s`));
  const tests: ((o: StripeObject) => boolean)[] = [];
  for (const clause of clauses) {
    const match = /^\s*(metadata\[['"]([^'"]+)['"]\]|[a-z_.]+)\s*(:|>=|<=|>|<)\s*(?:['"]([^'"]*)['"]|(-?\d+))\s*$/.exec(clause);
    if (!match) return undefined;
    const [, field, metaKey, op, text, number] = match;
    const read = (o: StripeObject): unknown => (metaKey ? (o.metadata as Record<string, unknown>)?.[metaKey] : field!.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | null)?.[k], o));
    const wanted = text ?? Number(number);
    tests.push((o) => {
      const value = read(o);
      if (op === ':') return String(value ?? '').toLowerCase() === String(wanted).toLowerCase();
      const n = Number(value);
      return op === '>' ? n > Number(wanted) : op === '<' ? n < Number(wanted) : op === '>=' ? n >= Number(wanted) : n <= Number(wanted);
    });
  }
  return join === 'AND' ? (o) => tests.every((t) => t(o)) : (o) => tests.some((t) => t(o));
}
