import { describe, expect, it } from 'vitest';
import { fromCents, money, mulMoney, subMoney, sumMoney, toCents } from '../../src/mapping/money.js';

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

  it('refuses text that is not an amount', () => {
    expect(() => money('twelve')).toThrow("$money: 'twelve' is not an amount");
  });
});
