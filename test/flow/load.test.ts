import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/errors.js';
import { resolve } from 'node:path';
import { listFlowFiles, loadFlowFiles } from '../../src/flow/load.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFlows, tempDir } from '../support/harness.js';

const messages = (texts: Record<string, string>) => {
  const { diagnostics, dir } = loadFlows(texts);
  return diagnostics.map((d) => formatDiagnostic({ ...d, file: d.file.slice(dir.length + 1) }));
};

const GOOD = `name: good
source: { connector: memory, entity: customers }
target: { connector: memory, entity: accounts }
mapping:
  Name: name
`;

describe('flow files', () => {
  it('accepts a good flow and compiles it', () => {
    const { flows, diagnostics } = loadFlows({ 'good.yaml': GOOD });
    expect(diagnostics).toEqual([]);
    expect(flows[0]).toMatchObject({ name: 'good', source: { connector: 'memory', connection: 'memory', entity: 'customers' }, retry: { attempts: 5 } });
    expect(flows[0]!.version).toMatch(/^[\w-]{27}$/);
  });

  it('reconciles by the date field the entities declare, and asks for one where they declare none', () => {
    const text = `${GOOD.replace('entity: accounts }', 'entity: accounts, match: { field: Email, value: email } }')}reconcile: { source_amount: balance, target_amount: Total }\n`;
    expect(messages({ 'r.yaml': text })).toEqual([
      'r.yaml:6:12 reconcile: give source_date: the field that dates memory/customers records (the entity declares none)',
      'r.yaml:6:12 reconcile: give target_date: the field that dates memory/accounts records (the entity declares none)',
    ]);
    const named = loadFlows({ 'r.yaml': text.replace('target_amount: Total }', 'target_amount: Total, source_date: updated_at, target_date: TxnDay }') });
    expect(named.diagnostics).toEqual([]);
    expect(named.flows[0]!.reconcile).toMatchObject({ sourceDate: 'updated_at', targetDate: 'TxnDay' });
  });

  it('reports every mistake in a file at once, each at its line and column', () => {
    const text = `name: broken
source:
  connector: memory
  entity: customers
  filtr: "x > 1"
target:
  connector: nosuch
  entity: accounts
mapping:
  Name: name &
  Total: [1, 2]
  CustomerRef:
    value: $lookup('customers', customer_id)
run:
  schedule: "61 * * * *"
  timezone: Mars/Olympus
retry:
  attempts: "three"
`;
    expect(messages({ 'broken.yaml': text })).toEqual([
      "broken.yaml:5:3 source.filtr: unknown key 'filtr' (did you mean 'filter'?)",
      "broken.yaml:7:14 target.connector: unknown connector 'nosuch' (known: memory)",
      'broken.yaml:10:9 mapping.Name: expression does not parse: Unexpected end of expression (at character 6)',
      'broken.yaml:11:10 mapping.Total: must be an expression (text), a number, a boolean or a nested mapping',
      "broken.yaml:13:12 mapping.CustomerRef.value: $lookup('customers', …) needs 'customers' in depends_on",
      'broken.yaml:15:13 run.schedule: not a valid cron expression: 61 is a invalid expression for minute',
      "broken.yaml:16:13 run.timezone: unknown time zone 'Mars/Olympus'",
      'broken.yaml:18:13 retry.attempts: must be integer',
    ]);
  });

  it('pairs the two halves of a two-way sync, and checks the fields whose newer change wins', async () => {
    const { registry } = await import('../../connectors/registry.js');
    const shipped = loadFlowFiles(listFlowFiles(resolve(import.meta.dirname, '../../flows')), registry).flows;
    const reverse = Object.fromEntries(shipped.filter((f) => f.source.reverseFlows.length).map((f) => [f.name, f.source.reverseFlows]));
    expect(reverse).toEqual({
      'hubspot-companies-to-quickbooks-customers': ['quickbooks-customers-to-hubspot-companies'],
      'quickbooks-customers-to-hubspot-companies': ['hubspot-companies-to-quickbooks-customers'],
    });
    const text = GOOD.replace('entity: accounts }', 'entity: accounts, last_writer_wins: [Name, Phone] }');
    expect(messages({ 'f.yaml': text })).toEqual(["f.yaml:3:73 target.last_writer_wins[1]: 'Phone' is not a field this flow's mapping writes"]);
  });

  it("refuses a field the target does not have: QuickBooks' from Intuit's schema, Shopify's from what its writer sends", async () => {
    const { registry } = await import('../../connectors/registry.js');
    const dir = tempDir('ferry-fields-');
    const file = join(dir, 'fields.yaml');
    writeFileSync(file, 'name: fields\nsource: { connector: shopify, entity: orders }\ntarget: { connector: quickbooks, entity: invoices }\nmapping:\n  DocNumbr: name\n  Colour: "\'red\'"\n  TotalAmt: total_price\n');
    const stock = join(dir, 'stock.yaml');
    writeFileSync(stock, 'name: stock\nsource: { connector: quickbooks, entity: items }\ntarget: { connector: shopify, entity: inventory_levels }\nmapping:\n  sku: Sku\n  available: QtyOnHand\n  note: Name\n');
    const { diagnostics } = loadFlowFiles([file, stock], registry);
    expect(diagnostics.map((d) => formatDiagnostic({ ...d, file: d.file.slice(dir.length + 1) }))).toEqual([
      "fields.yaml:5:3 mapping.DocNumbr: 'quickbooks/invoices' has no field 'DocNumbr' (did you mean 'DocNumber'?)",
      "fields.yaml:6:3 mapping.Colour: 'quickbooks/invoices' has no field 'Colour'",
      "stock.yaml:7:3 mapping.note: 'shopify/inventory_levels' has no field 'note'",
    ]);
  });

  it('reports unknown entities and what the connector offers', () => {
    const text = GOOD.replace('entity: customers', 'entity: custmers').replace('entity: accounts', 'entity: customers');
    expect(messages({ 'f.yaml': text })).toEqual([
      "f.yaml:2:38 source.entity: connector 'memory' has no entity 'custmers' (it has: customers, orders, accounts, invoices)",
      "f.yaml:3:38 target.entity: 'memory/customers' cannot be written",
    ]);
  });

  it('reports missing required keys and a wrong top-level shape', () => {
    expect(messages({ 'a.yaml': 'name: a\nsource: { connector: memory, entity: customers }\n' })).toEqual([
      "a.yaml:1:1 missing required key 'target'",
      "a.yaml:1:1 missing required key 'mapping'",
    ]);
    expect(messages({ 'b.yaml': '- just\n- a list\n' })).toEqual(['b.yaml:1:1 a flow file must be a YAML mapping (name, source, target, mapping, ...)']);
  });

  it('reports a key written twice in one map, at the second', () => {
    expect(messages({ 'd.yaml': `${GOOD}  Name: email\n` })).toEqual(["d.yaml:6:3 Map keys must be unique: 'Name' is written twice"]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(messages({ 'y.yaml': 'name: y\nmapping:\n  Name: "unterminated\n' })[0]).toMatch(/^y\.yaml:\d+:\d+ Missing closing "quote/);
  });

  it('reports dependency cycles, unknown dependencies and duplicate names across files', () => {
    const flow = (name: string, deps: string[]) => `${GOOD.replace('name: good', `name: ${name}`)}depends_on: [${deps.join(', ')}]\n`;
    const found = messages({ 'a.yaml': flow('a', ['b']), 'b.yaml': flow('b', ['c']), 'c.yaml': flow('c', ['a', 'ghost']), 'd.yaml': flow('a', []) });
    expect(found).toHaveLength(3);
    expect(found[0]).toBe('a.yaml:6:14 depends_on[0]: dependency cycle: a → b → c → a');
    expect(found[1]).toBe("c.yaml:6:17 depends_on[1]: unknown flow 'ghost'");
    expect(found[2]).toMatch(/^d\.yaml:1:7 name: flow name 'a' is already used by .*a\.yaml$/);
  });

  it('refuses mapping keys that would reach an object\'s prototype instead of writing a field', () => {
    const text = `${GOOD}  __proto__: name\n  Nested:\n    constructor: name\n`;
    expect(messages({ 'p.yaml': text })).toEqual([
      "p.yaml:6:3 mapping.__proto__: '__proto__' cannot be a target field name",
      "p.yaml:8:5 mapping.Nested.constructor: 'constructor' cannot be a target field name",
    ]);
  });

  it('refuses a $lookup whose flow name is computed: its dependency could not be checked', () => {
    const text = `${GOOD.replace('name: good', 'name: child')}  ParentRef: "$lookup('par' & 'ent', customer_id)"\ndepends_on: [parent]\n`;
    const parent = GOOD.replace('name: good', 'name: parent');
    expect(messages({ 'child.yaml': text, 'parent.yaml': parent })).toEqual([
      "child.yaml:6:14 mapping.ParentRef: $lookup needs the flow's name written as a quoted literal ('parent'), so its dependency can be checked",
    ]);
  });

  it('refuses durations too long to be meant', () => {
    const text = `${GOOD.replace('name: good', 'name: long').replace('entity: customers }', 'entity: customers, overlap: 99999999999999999999d }')}waiting: { max_age: 400000d }\n`;
    expect(messages({ 'l.yaml': text })).toEqual([
      "l.yaml:2:58 source.overlap: '99999999999999999999d' is longer than the longest a flow accepts (3650d)",
      "l.yaml:6:21 waiting.max_age: '400000d' is longer than the longest a flow accepts (3650d)",
    ]);
  });
});
