/** The functions a flow's expressions may call, and the typo that used to surface only at run time. */
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { parseExpression } from '../../src/mapping/expression.js';
import { ferryFunctions } from '../../src/mapping/functions.js';
import { FERRY_FUNCTIONS, JSONATA_FUNCTIONS } from '../../src/mapping/known-functions.js';

describe('known functions', () => {
  it("every name on JSONata's list is one of JSONata's functions, and every Ferry name one Ferry binds", async () => {
    for (const name of JSONATA_FUNCTIONS) expect(await jsonata(`$${name}`).evaluate({}), name).toHaveProperty('_jsonata_function', true);
    const bound = Object.keys(ferryFunctions({ target: () => undefined, source: () => undefined }));
    // The runner binds the rest itself (ref, creditExceeded; isNew per record).
    expect([...bound, 'ref', 'creditExceeded', 'isNew'].sort()).toEqual([...FERRY_FUNCTIONS].sort());
  });

  it('refuses a call to a function that does not exist, where its name ends (JSONata counts positions so), with the name it was probably meant to be', () => {
    expect(parseExpression('$lowercas(name)')).toMatchObject({ ok: false, message: 'unknown function $lowercas (did you mean $lowercase?)', position: 9 });
    expect(parseExpression("$lookup('customers', id) & $frobnicate(x)")).toMatchObject({ ok: false, message: 'unknown function $frobnicate' });
  });

  it('accepts functions the expression binds itself, and lambdas', () => {
    expect(parseExpression('($twice := function($n) { $n * 2 }; $twice(total))').ok).toBe(true);
    expect(parseExpression("$map(lines, function($l) { $money($l.price) })").ok).toBe(true);
  });
});
