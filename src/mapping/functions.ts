/**
 * The functions Ferry adds to JSONata. Everything else is standard JSONata.
 *
 *   $lookup(flow, sourceId)      target id that `flow` wrote for `sourceId`; the record waits if there is none yet
 *   $tryLookup(flow, sourceId)   the same, but undefined instead of waiting
 *   $sourceOf(flow, targetId)    the way back: the source id `flow` wrote as `targetId`, or undefined
 *   $money(x[, places])          round an amount half-up to the minor unit
 *   $sumMoney(array)             exact sum of amounts
 *   $addMoney(a, b) $subMoney(a, b) $mulMoney(a, b)
 *   $cents(x) $fromCents(n)      decimal amount ↔ integer minor units
 *   $date(timestamp[, zone])     ISO timestamp → YYYY-MM-DD in the zone (default UTC)
 *   $addDays(date, n)            YYYY-MM-DD plus n days
 *   $ref(type, name)             the id of what the target keeps by that name (`$ref('Term', 'Net 30')`), once per run
 *
 * In rules only (they need the run and the record's state):
 *   $creditExceeded(customerId, amount)  the target customer's open balance + this run's new documents + amount > credit limit
 *   $isNew()                             nothing has been written to the target for this record yet
 */
import { MissingParentError } from '../errors.js';
import type { Bindings } from './expression.js';
import { addMoney, fromCents, money, mulMoney, subMoney, sumMoney, toCents } from './money.js';

/** Resolves a cross-reference written by another flow. */
export type LookupResolver = (flow: string, sourceId: string) => Promise<string | undefined> | string | undefined;

export interface CrossReferences {
  target: LookupResolver;
  source: LookupResolver;
}

/** The functions above that are synchronous and depend on their arguments alone. */
const PURE = { money, sumMoney, addMoney, subMoney, mulMoney, cents: toCents, fromCents, date: isoDate, addDays };

/** Their names: the direct evaluator may call them. */
export const PURE_FUNCTIONS: ReadonlySet<string> = new Set(Object.keys(PURE));

export function ferryFunctions(references: CrossReferences): Bindings {
  const resolve = async (flow: unknown, sourceId: unknown): Promise<string | undefined> => {
    if (sourceId === undefined || sourceId === null || sourceId === '') return undefined;
    return references.target(String(flow), String(sourceId));
  };
  return {
    lookup: async (flow: unknown, sourceId: unknown) => {
      const found = await resolve(flow, sourceId);
      if (found === undefined) {
        if (sourceId === undefined || sourceId === null || sourceId === '') {
          throw new Error(`$lookup('${String(flow)}', …): the source id is empty`);
        }
        throw new MissingParentError(String(flow), String(sourceId));
      }
      return found;
    },
    tryLookup: resolve,
    sourceOf: async (flow: unknown, targetId: unknown) => (targetId === undefined || targetId === null || targetId === '' ? undefined : references.source(String(flow), String(targetId))),
    ...PURE,
  };
}

/** Building an Intl formatter costs far more than using one: keep one per zone. */
const dayFormatters = new Map<string, Intl.DateTimeFormat>();

export function isoDate(timestamp: unknown, timeZone = 'UTC'): string | undefined {
  if (timestamp === undefined || timestamp === null || timestamp === '') return undefined;
  const date = new Date(String(timestamp));
  if (Number.isNaN(date.getTime())) throw new Error(`$date: '${String(timestamp)}' is not a date`);
  if (timeZone === 'UTC') return date.toISOString().slice(0, 10);
  let formatter = dayFormatters.get(timeZone);
  if (!formatter) {
    // en-CA formats as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, formatter);
  }
  return formatter.format(date);
}

export function addDays(date: unknown, days: unknown): string | undefined {
  if (date === undefined || date === null || date === '') return undefined;
  const base = new Date(`${String(date).slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(base.getTime())) throw new Error(`$addDays: '${String(date)}' is not a date`);
  base.setUTCDate(base.getUTCDate() + Number(days));
  return base.toISOString().slice(0, 10);
}
