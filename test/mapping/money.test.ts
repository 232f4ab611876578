import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMoney, fromCents, money, mulMoney, subMoney, sumMoney, toCents } from '../../src/mapping/money.js';

/** decimal.js alone, as the helpers were before their integer fast path: the reference answer. */
const Reference = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
const decimal = (v: string | number | null) => new Reference(v === null || v === '' ? 0 : typeof v === 'number' ? String(v) : v.trim());
/** decimal.js's answer, refused where a number cannot hold it to the minor unit exactly. */
const exact = (d: Decimal, places: number) => {
  if (d.abs().times(new Reference(10).pow(places)).greaterThan(Number.MAX_SAFE_INTEGER)) throw new Error('beyond exact range');
  return d.toDecimalPlaces(places).toNumber();
};
const reference = {
  money: (a: string | number | null, places: number) => exact(decimal(a), places),
  add: (a: string | number | null, b: string | number | null, places: number) => exact(decimal(a).plus(decimal(b)), places),
  sub: (a: string | number | null, b: string | number | null, places: number) => exact(decimal(a).minus(decimal(b)), places),
  mul: (a: string | number | null, b: string | number | null, places: number) => exact(decimal(a).times(decimal(b)), places),
  sum: (list: (string | number | null)[], places: number) => exact(list.reduce((t, v) => t.plus(decimal(v)), new Reference(0)), places),
};
function outcome(run: () => number): { value: number } | { error: true } {
  try {
    return { value: run() };
  } catch {
    return { error: true };
  }
}

describe('money', () => {
  it('sums thousands of line amounts exactly to the cent, where floating point drifts', () => {
    const lines = Array.from({ length: 10_000 }, () => 0.1);
    expect(lines.reduce((a, b) => a + b, 0)).not.toBe(1000); // the bug the helpers exist for
    expect(sumMoney(lines)).toBe(1000);
    const prices = Array.from({ length: 3_000 }, (_, i) => `${i % 97}.${String(i % 100).padStart(2, '0')}`);
    const expectedCents = prices.reduce((sum, p) => sum + Number(p.replace('.', '')), 0);
    expect(toCents(sumMoney(prices))).toBe(expectedCents);
  });

  it('rounds half up once, at the end', () => {
    expect(money('2.675')).toBe(2.68); // binary 2.675 is 2.67499…; decimal rounding is not fooled
    expect(money(1.005)).toBe(1.01);
    expect(mulMoney('19.99', 3)).toBe(59.97);
    expect(mulMoney('10.00', '0.0825')).toBe(0.83);
    expect(subMoney('0.3', '0.1')).toBe(0.2);
  });

  it('converts between decimal amounts and minor units', () => {
    expect(toCents('12.34')).toBe(1234);
    expect(toCents(0.29)).toBe(29); // 0.29 * 100 is 28.999999999999996 in floating point
    expect(fromCents(1234)).toBe(12.34);
    expect(money(null)).toBe(0);
  });

  it('refuses amounts beyond what a number holds to the minor unit, instead of rounding them', () => {
    expect(money('90071992547409.91')).toBe(90071992547409.91);
    expect(() => money('90071992547409.92')).toThrow('$money: 90071992547409.92 is beyond the largest amount Ferry handles exactly to 2 places (90071992547409.91)');
    expect(() => money(1e21)).toThrow(/^\$money: 1e\+21 is beyond/);
    expect(() => sumMoney(['1234567890123456789012.34', '1'])).toThrow(/^\$sumMoney: .* is beyond/);
    expect(() => mulMoney('10000000000', '10000000000')).toThrow(/^\$mulMoney: 100000000000000000000 is beyond/);
    expect(() => toCents(1e20)).toThrow(/^\$cents: .* is beyond/);
  });

  it('refuses text that is not an amount', () => {
    expect(() => money('twelve')).toThrow("$money: 'twelve' is not an amount");
    // What a mapping may hand over besides text and numbers gets the same refusal.
    expect(() => mulMoney(true as never, 2)).toThrow("$mulMoney: 'true' is not an amount");
  });

  it('gives decimal.js’s answer, signed zeros and refusals included, on generated amounts', () => {
    const plain = fc
      .tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^\d{0,9}$/), fc.option(fc.stringMatching(/^\d{0,6}$/), { nil: undefined }), fc.constantFrom('', ' '))
      .map(([sign, whole, fraction, pad]) => `${pad}${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}${pad}`);
    const amount = fc.oneof(
      plain,
      fc.integer({ min: -1_000_000, max: 1_000_000 }).map((cents) => cents / 100),
      fc.double({ noNaN: true, min: -1e9, max: 1e9 }),
      fc.constantFrom('1e3', '1234567890123456.5', '0.0000001', 'abc', '.', '-0', '0.005', '-0.005', '2.675', null, ''),
    );
    const places = fc.constantFrom(0, 1, 2, 3, 4, 6);
    fc.assert(
      fc.property(amount, amount, fc.array(amount, { maxLength: 6 }), places, (a, b, list, p) => {
        expect(outcome(() => money(a, p)), `money(${a}, ${p})`).toEqual(outcome(() => reference.money(a, p)));
        expect(outcome(() => addMoney(a, b, p))).toEqual(outcome(() => reference.add(a, b, p)));
        expect(outcome(() => subMoney(a, b, p))).toEqual(outcome(() => reference.sub(a, b, p)));
        expect(outcome(() => mulMoney(a, b, p)), `mulMoney(${a}, ${b}, ${p})`).toEqual(outcome(() => reference.mul(a, b, p)));
        expect(outcome(() => sumMoney(list, p))).toEqual(outcome(() => reference.sum(list, p)));
      }),
      { numRuns: 3_000, seed: 20261123 },
    );
  });
});
