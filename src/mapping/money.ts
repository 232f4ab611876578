/**
 * Money is never added in binary floating point: 0.1 + 0.2 is not 0.3, and a thousand order lines
 * summed that way drift by cents. Every helper computes exactly (on scaled integers for everyday
 * amounts, decimal.js for the rest) and rounds once, half-up, to the currency's minor unit, which is
 * how invoices are totalled by hand.
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

/**
 * An amount is a JavaScript number in the end (what a JSON payload carries), and a number holds whole
 * minor units exactly only up to 2^53 − 1 of them: 90,071,992,547,409.91 at two places. Past that an
 * amount would be rounded silently (a difference of thousands), so it is refused.
 */
const LARGEST_UNITS = BigInt(Number.MAX_SAFE_INTEGER);

function refuseBeyond(what: string, amount: string, places: number): never {
  throw new Error(`${what}: ${amount} is beyond the largest amount Ferry handles exactly to ${places} places (${withPoint(LARGEST_UNITS, places)})`);
}

/** Digits with a decimal point `places` from the right: 1234n, 2 → "12.34". */
function withPoint(digits: bigint, places: number): string {
  const text = (digits < 0n ? -digits : digits).toString().padStart(places + 1, '0');
  return `${digits < 0n ? '-' : ''}${places ? `${text.slice(0, -places)}.${text.slice(-places)}` : text}`;
}

function inRange(what: string, value: Decimal, places: number): Decimal {
  if (value.abs().times(new Money(10).pow(places)).greaterThan(Number.MAX_SAFE_INTEGER)) refuseBeyond(what, value.toString(), places);
  return value;
}

function finish(what: string, value: Decimal, places: number): number {
  return inRange(what, value, places).toDecimalPlaces(places).toNumber();
}

/**
 * The same arithmetic on scaled integers, for the everyday case: plain decimal text or numbers of at
 * most 15 digits, rounded to 0–6 places. A BigInt of digits and a count of places is exact, and these
 * operands stay far inside decimal.js's 40 digits, so the answer is the one decimal.js gives (the
 * money tests compare the two on generated amounts) at a fraction of the cost. Anything else
 * (exponents, long numbers, text decimal.js must judge, an exact zero) goes to decimal.js.
 */
interface Scaled {
  digits: bigint;
  places: number;
}

const PLAIN_AMOUNT = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const POWERS = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));

function scaled(value: MoneyInput): Scaled | undefined {
  if (value === null || value === undefined || value === '') return { digits: 0n, places: 0 };
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = PLAIN_AMOUNT.exec(text);
  if (!match) return undefined;
  const [, sign, whole = '', fraction = ''] = match;
  if (!whole && !fraction) return undefined;
  if (whole.length + fraction.length > 15) return undefined;
  const digits = BigInt(`${whole}${fraction}` || '0');
  return { digits: sign === '-' ? -digits : digits, places: fraction.length };
}

/**
 * Rounds half away from zero to `places`, as decimal.js's ROUND_HALF_UP does, and makes a number of it.
 * An exact zero is decimal.js's to sign (it keeps IEEE's signed zeros); undefined sends it there.
 */
function finishScaled(what: string, { digits, places: from }: Scaled, places: number): number | undefined {
  if (digits === 0n) return undefined;
  if ((digits < 0n ? -digits : digits) * POWERS[places]! > LARGEST_UNITS * POWERS[from]!) refuseBeyond(what, withPoint(digits, from), places);
  const negative = digits < 0n;
  let rounded = digits;
  let at = from;
  if (from > places) {
    const divisor = POWERS[from - places]!;
    const magnitude = negative ? -digits : digits;
    let quotient = magnitude / divisor;
    if ((magnitude % divisor) * 2n >= divisor) quotient++;
    rounded = negative ? -quotient : quotient;
    at = places;
  }
  // decimal.js keeps the sign of a negative amount that rounds to zero.
  if (rounded === 0n) return negative ? -0 : 0;
  const text = (rounded < 0n ? -rounded : rounded).toString().padStart(at + 1, '0');
  const number = Number(at ? `${text.slice(0, -at)}.${text.slice(-at)}` : text);
  return rounded < 0n ? -number : number;
}

const fastPlaces = (places: number) => Number.isInteger(places) && places >= 0 && places <= 6;

/** `a` and `b` combined on scaled integers and rounded, or undefined where decimal.js must answer. */
function combinedScaled(what: string, a: MoneyInput, b: MoneyInput, places: number, combine: (x: Scaled, y: Scaled) => Scaled): number | undefined {
  if (!fastPlaces(places)) return undefined;
  const x = scaled(a);
  const y = x && scaled(b);
  if (!x || !y) return undefined;
  return finishScaled(what, combine(x, y), places);
}

/** a + b (or a − b with sign −1), at the finer of the two scales. */
function plus(a: Scaled, b: Scaled, sign = 1n): Scaled {
  const places = Math.max(a.places, b.places);
  return { digits: a.digits * POWERS[places - a.places]! + sign * b.digits * POWERS[places - b.places]!, places };
}

/** Rounds an amount to the minor unit (2 places unless told). */
export function money(value: MoneyInput, places = 2): number {
  const fast = fastPlaces(places) ? scaled(value) : undefined;
  return (fast && finishScaled('$money', fast, places)) ?? finish('$money', toDecimal(value, '$money'), places);
}

function scaledSum(list: MoneyInput[]): Scaled | undefined {
  let total: Scaled = { digits: 0n, places: 0 };
  for (const value of list) {
    const next = scaled(value);
    if (!next) return undefined;
    total = plus(total, next);
  }
  return total;
}

/** Exact sum of amounts, rounded once at the end. */
export function sumMoney(values: MoneyInput[] | MoneyInput, places = 2): number {
  const list = Array.isArray(values) ? values : [values];
  const total = fastPlaces(places) ? scaledSum(list) : undefined;
  return (
    (total && finishScaled('$sumMoney', total, places)) ??
    finish(
      '$sumMoney',
      list.reduce<Decimal>((sum, v) => sum.plus(toDecimal(v, '$sumMoney')), new Money(0)),
      places,
    )
  );
}

export function addMoney(a: MoneyInput, b: MoneyInput, places = 2): number {
  return combinedScaled('$addMoney', a, b, places, plus) ?? finish('$addMoney', toDecimal(a, '$addMoney').plus(toDecimal(b, '$addMoney')), places);
}

export function subMoney(a: MoneyInput, b: MoneyInput, places = 2): number {
  return combinedScaled('$subMoney', a, b, places, (x, y) => plus(x, y, -1n)) ?? finish('$subMoney', toDecimal(a, '$subMoney').minus(toDecimal(b, '$subMoney')), places);
}

/** Quantity × unit price, or amount × rate, rounded to the minor unit. */
export function mulMoney(a: MoneyInput, b: MoneyInput, places = 2): number {
  const times = (x: Scaled, y: Scaled): Scaled => ({ digits: x.digits * y.digits, places: x.places + y.places });
  return combinedScaled('$mulMoney', a, b, places, times) ?? finish('$mulMoney', toDecimal(a, '$mulMoney').times(toDecimal(b, '$mulMoney')), places);
}

/** Decimal amount → integer minor units, as Stripe wants them (12.34 → 1234). */
export function toCents(value: MoneyInput, places = 2): number {
  return finish('$cents', toDecimal(value, '$cents').times(new Money(10).pow(places)), 0);
}

/** Integer minor units → decimal amount (1234 → 12.34). */
export function fromCents(value: MoneyInput, places = 2): number {
  return inRange('$fromCents', toDecimal(value, '$fromCents').dividedBy(new Money(10).pow(places)), places).toNumber();
}
