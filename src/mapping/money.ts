/**
 * Money is never added in binary floating point: 0.1 + 0.2 is not 0.3, and a thousand order lines
 * summed that way drift by cents. Every helper goes through decimal.js and rounds once, half-up,
 * to the currency's minor unit, which is how invoices are totalled by hand.
 */
import { Decimal } from 'decimal.js';

const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
type MoneyInput = string | number | null | undefined;

function toDecimal(value: MoneyInput, what: string): Decimal {
  if (value === null || value === undefined || value === '') return new Money(0);
  try {
    // String(number) gives the shortest round-trip form (0.1 → "0.1"), so the intended decimal is kept.
    return new Money(typeof value === 'number' ? String(value) : value.trim());
  } catch {
    throw new Error(`${what}: '${String(value)}' is not an amount`);
  }
}

function finish(value: Decimal, places: number): number {
  return value.toDecimalPlaces(places).toNumber();
}

/** Rounds an amount to the minor unit (2 places unless told). */
export function money(value: MoneyInput, places = 2): number {
  return finish(toDecimal(value, '$money'), places);
}

/** Exact sum of amounts, rounded once at the end. */
export function sumMoney(values: MoneyInput[] | MoneyInput, places = 2): number {
  const list = Array.isArray(values) ? values : [values];
  return finish(
    list.reduce<Decimal>((total, v) => total.plus(toDecimal(v, '$sumMoney')), new Money(0)),
    places,
  );
}

export function addMoney(a: MoneyInput, b: MoneyInput, places = 2): number {
  return finish(toDecimal(a, '$addMoney').plus(toDecimal(b, '$addMoney')), places);
}

export function subMoney(a: MoneyInput, b: MoneyInput, places = 2): number {
  return finish(toDecimal(a, '$subMoney').minus(toDecimal(b, '$subMoney')), places);
}

/** Quantity × unit price, or amount × rate, rounded to the minor unit. */
export function mulMoney(a: MoneyInput, b: MoneyInput, places = 2): number {
  return finish(toDecimal(a, '$mulMoney').times(toDecimal(b, '$mulMoney')), places);
}

/** Decimal amount → integer minor units, as Stripe wants them (12.34 → 1234). */
export function toCents(value: MoneyInput, places = 2): number {
  return toDecimal(value, '$cents').times(new Money(10).pow(places)).toDecimalPlaces(0).toNumber();
}

/** Integer minor units → decimal amount (1234 → 12.34). */
export function fromCents(value: MoneyInput, places = 2): number {
  return toDecimal(value, '$fromCents').dividedBy(new Money(10).pow(places)).toNumber();
}
