import { describe, expect, it } from 'vitest';
import { MissingParentError, PermanentError } from '../../src/errors.js';
import { addDays, ferryFunctions, isoDate } from '../../src/mapping/functions.js';
import { CompiledMapping } from '../../src/mapping/mapping.js';

const lookups = new Map([['customers:42', '145']]);
const bindings = ferryFunctions({ target: (flow, id) => lookups.get(`${flow}:${id}`), source: (flow, id) => [...lookups].find(([key, target]) => key.startsWith(`${flow}:`) && target === id)?.[0].slice(flow.length + 1) });

function compile(spec: Parameters<typeof CompiledMapping.compile>[0]): CompiledMapping {
  const { mapping, problems } = CompiledMapping.compile(spec);
  expect(problems).toEqual([]);
  return mapping!;
}

describe('mapping', () => {
  it('builds nested target records, with constants, and leaves out fields that evaluate to nothing', async () => {
    const mapping = compile({
      DocNumber: 'name',
      CustomerRef: { value: "$lookup('customers', customer.id)" },
      Line: "[line_items.{ 'Amount': $mulMoney(price, quantity), 'Sku': sku }]",
      TotalAmt: '$sumMoney(line_items.($mulMoney(price, quantity)))',
      Taxable: true,
      Note: 'note',
    });
    const order = { name: '#1001', customer: { id: 42 }, line_items: [{ price: '19.99', quantity: 3, sku: 'MUG' }] };
    expect(await mapping.evaluate(order, bindings)).toEqual({
      DocNumber: '#1001',
      CustomerRef: { value: '145' },
      Line: [{ Amount: 59.97, Sku: 'MUG' }],
      TotalAmt: 59.97,
      Taxable: true,
    });
  });

  it('leaves out a nested object none of whose fields yields anything, sync or through JSONata, and keeps one that has a field', async () => {
    const mapping = compile({
      DocNumber: 'name',
      CustomerRef: { value: "customer ? $lookup('customers', customer.id)" },
      BillEmail: { Address: 'email' },
      ShipAddr: { Line1: 'shipping.address1', City: 'shipping.city' },
    });
    expect(await mapping.evaluate({ name: '#1002', customer: null, email: 'a@x.test' }, bindings)).toEqual({ DocNumber: '#1002', BillEmail: { Address: 'a@x.test' } });
    expect(await mapping.evaluate({ name: '#1003', customer: { id: 42 }, shipping: { city: 'Leeds' } }, bindings)).toEqual({ DocNumber: '#1003', CustomerRef: { value: '145' }, ShipAddr: { City: 'Leeds' } });
    expect(await compile({ Only: { value: 'missing' } }).evaluate({}, bindings)).toEqual({});
  });

  it('leaves out a field whose source value is null, as HubSpot sends an unset property, at any depth; arrays keep their places', async () => {
    const mapping = compile({ DisplayName: 'name', PrimaryPhone: { FreeFormNumber: 'phone' }, Notes: "{ 'text': note, 'by': 'ferry' }", Tags: '[tag1, null, tag2]' });
    expect(await mapping.evaluate({ name: 'Acme', phone: null, note: null, tag1: 'a', tag2: 'b' }, bindings)).toEqual({ DisplayName: 'Acme', Notes: { by: 'ferry' }, Tags: ['a', null, 'b'] });
  });

  it('a missing cross-reference makes the record wait for its parent', async () => {
    const mapping = compile({ CustomerRef: "$lookup('customers', customer.id)" });
    const error = await (async () => mapping.evaluate({ customer: { id: 7 } }, bindings))().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingParentError);
    expect(error).toMatchObject({ parentFlow: 'customers', parentId: '7' });
    expect(await compile({ Ref: "$tryLookup('customers', 7)" }).evaluate({}, bindings)).toEqual({});
  });

  it('$sourceOf walks a cross-reference back from the target id to the source id', async () => {
    const mapping = compile({ Customer: "$sourceOf('customers', Id)", Unknown: "$sourceOf('customers', 'nope')" });
    expect(await mapping.evaluate({ Id: '145' }, bindings)).toEqual({ Customer: '42' });
  });

  it('a failing expression names the target field', async () => {
    const mapping = compile({ Line: { Amount: '$money(price)' } });
    const error = await (async () => mapping.evaluate({ price: 'n/a' }, bindings))().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).message).toBe("mapping.Line.Amount: $money: 'n/a' is not an amount");
  });

  it('reports expressions that do not parse, with the character', () => {
    const { problems } = CompiledMapping.compile({ Name: 'first &', Ok: 'last' });
    expect(problems).toEqual([{ path: ['mapping', 'Name'], message: 'expression does not parse: Unexpected end of expression (at character 7)' }]);
  });

  it('formats dates in a zone and adds days', () => {
    expect(isoDate('2026-03-01T03:00:00Z', 'America/New_York')).toBe('2026-02-28');
    expect(addDays('2026-02-28', 30)).toBe('2026-03-30');
  });
});
