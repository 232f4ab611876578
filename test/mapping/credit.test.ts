/** $creditExceeded: open balance + documents let through this run + this amount, against the limit, in exact cents. */
import { describe, expect, it } from 'vitest';
import { creditCheck } from '../../src/mapping/credit.js';

describe('credit check', () => {
  it('counts what it let through earlier in the run, reads each customer once, and is exact to the cent', async () => {
    const fetched: string[] = [];
    const check = creditCheck(async (id) => {
      fetched.push(id);
      return { '7': { balance: 100.1, limit: 300.3 }, '8': { balance: 5000 }, '9': { balance: 0, limit: 0 } }[id];
    });
    expect(await check('7', 100.1)).toBe(false); // 200.20
    expect(await check('7', 100.1)).toBe(false); // 300.30: at the limit is within it
    expect(await check('7', 0.01)).toBe(true); // one cent over
    expect(await check('7', '0.00')).toBe(false);
    expect(await check('8', 1_000_000)).toBe(false); // no limit set
    expect(await check('9', 1)).toBe(false); // a limit of 0 means none
    expect(await check(undefined, 1)).toBe(false); // no customer to check
    expect(fetched).toEqual(['7', '8', '9']);
  });

  it('a held amount is not counted: the next, smaller document can still pass', async () => {
    const check = creditCheck(async () => ({ balance: 0, limit: 100 }));
    expect(await check('1', 150)).toBe(true);
    expect(await check('1', 60)).toBe(false);
    expect(await check('1', 41)).toBe(true);
  });
});
