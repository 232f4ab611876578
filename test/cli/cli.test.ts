import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { PermanentError } from '../../src/errors.js';
import { createAjv } from '../../src/validation/ajv.js';
import syncInfoSchema from '../../config/schemas/sync-info.schema.json' with { type: 'json' };
import { createMemoryStore } from '../support/memory-connector.js';
import { CUSTOMERS_FLOW, customers, memoryRegistry, ORDERS_FLOW, tempDir } from '../support/harness.js';

function project(flows: Record<string, string>) {
  const cwd = tempDir('ferry-cli-');
  mkdirSync(join(cwd, 'flows'));
  mkdirSync(join(cwd, 'config'));
  for (const [name, text] of Object.entries(flows)) writeFileSync(join(cwd, 'flows', name), text);
  writeFileSync(join(cwd, 'config', 'ferry.yaml'), 'connections:\n  memory:\n    connector: memory\n');
  const store = createMemoryStore();
  const ferry = async (...args: string[]) => {
    const io = bufferIo();
    const code = await main(['node', 'ferry', ...args], { io, registry: memoryRegistry(store), cwd });
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };
  return { cwd, store, ferry };
}

describe('ferry CLI', () => {
  it('an unusable ledger is a configuration error (exit 2) that names its path', async () => {
    const { ferry, cwd } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    writeFileSync(join(cwd, 'garbage.db'), 'this is not a SQLite database, it is a text file of some length '.repeat(40));
    const corrupt = await ferry('info', '--ledger', 'garbage.db');
    expect(corrupt.code).toBe(2);
    expect(corrupt.err).toBe(`ferry: cannot use the ledger ${join(cwd, 'garbage.db')}: file is not a database`);
    // A folder that cannot be made (a file stands in the way).
    const unwritable = await ferry('run', 'customers', '--ledger', 'garbage.db/sub/ledger.db');
    expect(unwritable.code).toBe(2);
    expect(unwritable.err).toMatch(new RegExp(`^ferry: cannot use the ledger ${join(cwd, 'garbage.db/sub/ledger.db')}: `));
  });

  it('--version prints the version in package.json', async () => {
    const { ferry } = project({});
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect(await ferry('--version')).toMatchObject({ code: 0, out: version });
  });

  it('validate prints every mistake as file:line:column field: message and exits 2', async () => {
    const { ferry } = project({
      'customers.yaml': CUSTOMERS_FLOW,
      'bad.yaml': 'name: bad\nsource: { connector: memory, entity: customers, params: { since_days: 3 } }\ntarget: { connector: memory, entity: accounts }\nmapping:\n  Name: name &\n  Email: $lowercas(email)\nrun: { schedule: "every day" }\n',
    });
    const bad = await ferry('validate', 'flows/bad.yaml');
    expect(bad.code).toBe(2);
    expect(bad.err.split('\n')).toEqual([
      "flows/bad.yaml:2:59 source.params.since_days: 'memory/customers' takes no parameter 'since_days' (it takes none)",
      'flows/bad.yaml:5:9 mapping.Name: expression does not parse: Unexpected end of expression (at character 6)',
      'flows/bad.yaml:6:10 mapping.Email: unknown function $lowercas (did you mean $lowercase?) (at character 9)',
      'flows/bad.yaml:7:18 run.schedule: not a valid cron expression: expected 5 or 6 fields but got 2',
      '4 problems in 1 file(s)',
    ]);
    expect(bad.err).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    const good = await ferry('validate', 'flows/customers.yaml');
    expect(good).toMatchObject({ code: 0, out: '1 flow file(s) valid: customers' });
  });

  it('validate warns, without failing, when a flow without match writes a target another flow writes', async () => {
    const { ferry } = project({
      'customers.yaml': CUSTOMERS_FLOW,
      'more.yaml': 'name: more-accounts\nsource: { connector: memory, entity: orders }\ntarget: { connector: memory, entity: accounts }\nmapping:\n  Name: name\n',
    });
    const checked = await ferry('validate');
    expect(checked.code).toBe(0);
    expect(checked.err).toMatch(/^warning: flows\/more\.yaml:3:1 target: memory\/accounts is also written by customers \(.*customers\.yaml\); without target\.match this flow creates records of its own beside theirs/);
    // The flow that finds records by a key is not warned about.
    expect(checked.err.split('\n')).toHaveLength(1);
  });

  it('validate --online reads a page of each source and warns about a path no record has, with the one probably meant', async () => {
    const { ferry, store } = project({ 'typo.yaml': 'name: typo\nsource: { connector: memory, entity: customers }\ntarget: { connector: memory, entity: accounts }\nmapping:\n  Name: nmae\n  Email: email\n' });
    store.sources.set('customers', customers(3));
    const offline = await ferry('validate');
    expect([offline.code, offline.err]).toEqual([0, '']);
    const online = await ferry('validate', '--online');
    expect(online.code).toBe(0);
    expect(online.err).toBe("warning: flows/typo.yaml:5:9 mapping.Name: reads 'nmae', which none of the 3 memory/customers records read has (did you mean 'name'?)");
  });

  it('a dry run with --show prints what each record reads and would send, and what an update would change', async () => {
    const { ferry, store } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', customers(2));
    const first = await ferry('run', 'customers', '--dry-run', '--show');
    expect(first.code).toBe(0);
    expect(first.out).toContain(['create    customers/1', '    reads    name: "Customer 1"', '             email: "c1@example.com"', '             balance: "10.10"', '    sends    Name: "Customer 1"', '             Email: "c1@example.com"', '             Total: 10.1'].join('\n'));
    expect(store.writeCalls).toEqual([]);
    expect((await ferry('run', 'customers')).code).toBe(0);
    store.sources.set('customers', customers(2, 1, { updated_at: '2026-11-02T00:00:00Z' }).map((c) => (c.id === 2 ? { ...c, name: 'Renamed Ltd' } : c)));
    const second = await ferry('run', 'customers', '--dry-run', '--show', '--json');
    const lines = (JSON.parse(second.out) as { records: { sourceId: string; action: string; changes?: unknown }[] }).records;
    expect(lines.find((l) => l.sourceId === '2')).toMatchObject({ action: 'update', changes: { Name: { from: 'Customer 2', to: 'Renamed Ltd' } } });
    expect((await ferry('run', 'customers', '--show')).err).toBe('--show goes with --dry-run: it shows what a run would send, without sending it');
  });

  it('run, re-run, resync and info work end to end, with exit codes a script can rely on', async () => {
    const { ferry, store } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', customers(12));
    store.fault = (item) => (item.sourceId === '5' ? { ok: false, error: new PermanentError('duplicate name', { status: 400 }) } : undefined);

    const first = await ferry('run', 'customers', '--json');
    expect(first.code).toBe(1);
    expect(JSON.parse(first.out).runs[0]).toMatchObject({ flow: 'customers', status: 'partial', counts: { read: 12, created: 11, dead: 1 } });

    const info = await ferry('info', 'customers', '--json');
    expect(info.code).toBe(0);
    const report = JSON.parse(info.out);
    const validate = createAjv().compile(syncInfoSchema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.flows[0].failures).toEqual([
      expect.objectContaining({ sourceId: '5', status: 'dead', errorClass: 'permanent', httpStatus: 400, reason: 'duplicate name', resyncCommand: 'ferry resync customers --record 5' }),
    ]);
    expect(report.flows[0].topErrors).toEqual([{ reason: 'duplicate name', count: 1 }]);

    const text = await ferry('info');
    expect(text.out).toContain('ferry resync customers --record 5');

    store.fault = undefined; // the cause is fixed
    const resync = await ferry('resync', 'customers', '--record', '5');
    expect(resync.code).toBe(0);
    expect(resync.out).toMatch(/customers\s+succeeded\s+1\s+1/);
    expect(store.targets.get('accounts')!.size).toBe(12);

    const again = await ferry('run', 'customers', '--json');
    expect(JSON.parse(again.out).runs[0].counts).toMatchObject({ created: 0, updated: 0, unchanged: 12 });
  });

  it('resync --failed and --since resend exactly the chosen records', async () => {
    const { ferry, store } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', customers(6));
    store.fault = (item) => (['2', '4'].includes(item.sourceId) ? { ok: false, error: new PermanentError('rejected') } : undefined);
    await ferry('run', '--all');
    store.fault = undefined;
    const failed = await ferry('resync', 'customers', '--failed', '--json');
    expect(JSON.parse(failed.out).runs[0].counts).toMatchObject({ read: 2, created: 2 });

    const sentBefore = store.writeCalls.flat().length;
    const range = await ferry('resync', 'customers', '--since', '2026-10-01T00:00:05Z', '--until', '2026-10-01T00:00:06Z', '--json');
    expect(JSON.parse(range.out).runs[0].counts).toMatchObject({ read: 1, updated: 1 });
    expect(store.writeCalls.flat().slice(sentBefore).map((i) => i.sourceId)).toEqual(['5']);
  });

  it('usage and configuration errors exit 2 with one clear line', async () => {
    const { ferry } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    expect(await ferry('run')).toMatchObject({ code: 2, err: 'name one or more flows, or use --all (ferry run --help)' });
    expect(await ferry('run', 'nope')).toMatchObject({ code: 2, err: "ferry: no flow named 'nope' (flows: customers)" });
    expect(await ferry('resync', 'customers')).toMatchObject({ code: 2, err: 'ferry: choose exactly one of --record ID..., --failed, --since DATE, or a ledger selection (--all, --status STATUS..., --matching TEXT)' });
    expect((await ferry('frobnicate')).code).toBe(2);
    expect((await ferry('--config', 'missing.yaml', 'run', '--all')).err).toMatch(/^missing\.yaml:1:1 cannot read: ENOENT|.*missing\.yaml:1:1 cannot read: ENOENT/);
  });

  it('--dry-run prints each record’s fate and changes nothing', async () => {
    const { ferry, store } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', customers(2));
    const dry = await ferry('run', 'customers', '--dry-run');
    expect(dry.out.split('\n').slice(0, 2)).toEqual(['create    customers/1', 'create    customers/2']);
    expect(store.writeCalls).toEqual([]);
    const info = JSON.parse((await ferry('info', '--json')).out);
    expect(info.flows[0].lastRun).toBeUndefined();
  });
});

describe('ferry dead-letter', () => {
  it('lists, shows and discards dead-lettered records, keeping the decision in their history', async () => {
    const { ferry, store } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', customers(3));
    store.fault = (item) => (item.sourceId === '2' ? { ok: false, error: new PermanentError('Email is not allowed', { status: 400, field: 'Email' }) } : undefined);
    await ferry('run', 'customers');

    const list = await ferry('dead-letter', 'list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/customers\s+2\s+permanent\s+Email is not allowed\s+1/);
    const json = JSON.parse((await ferry('dead-letter', 'list', '--json')).out) as { sourceId: string; error: { field: string } }[];
    expect(json).toMatchObject([{ sourceId: '2', error: { field: 'Email', status: 400 } }]);

    const show = await ferry('dead-letter', 'show', 'customers', '2');
    expect(show.out).toContain('reason: Email is not allowed');
    expect(show.out).toContain('"email": "c2@example.com"');
    expect(show.out).toContain('"Email": "c2@example.com"');
    expect(show.out).toMatch(/history:\n\s+\S+\s+dead/);

    expect((await ferry('dead-letter', 'discard', 'customers', '2')).code).toBe(2);
    const discard = await ferry('dead-letter', 'discard', 'customers', '2', '--reason', 'test customer, not a real one');
    expect(discard).toMatchObject({ code: 0, out: 'customers / 2 discarded: test customer, not a real one' });
    expect((await ferry('dead-letter', 'list')).out).toBe('No dead-lettered records.');
    expect((await ferry('dead-letter', 'show', 'customers', '2')).out).toMatch(/discarded\s+\{"reason":"test customer, not a real one"/);
  });
});

describe("ferry: an operator's day", () => {
  it('approve --now books the held record at once, and the records of other flows waiting on it', async () => {
    const { store, ferry } = project({ 'customers.yaml': CUSTOMERS_FLOW, 'orders.yaml': ORDERS_FLOW });
    store.sources.set('customers', [...customers(1), ...customers(1, 2, { vip: true })]);
    store.sources.set('orders', [
      { id: 'o1', name: 'Order 1', customer_id: 1, updated_at: '2026-10-02T00:00:00Z' },
      { id: 'o2', name: 'Order 2', customer_id: 2, updated_at: '2026-10-02T00:00:01Z' },
    ]);
    await ferry('run', '--all');
    expect([...(store.targets.get('invoices')?.values() ?? [])].map((i) => i.Name)).toEqual(['Order 1']);
    const now = await ferry('approve', 'customers', '2', '--now');
    expect(now.code).toBe(0);
    expect(now.out).toContain('then the records waiting on them: orders (1)');
    expect([...store.targets.get('invoices')!.values()].map((i) => i.Name).sort()).toEqual(['Order 1', 'Order 2']);
    const info = JSON.parse((await ferry('info', '--json')).out) as { flows: { name: string; failures: unknown[] }[] };
    expect(info.flows.flatMap((f) => f.failures)).toEqual([]);
  });

  it('dead-letter discard takes a selection: 50 records in one command, said before it is done, and only with --yes where no one can be asked', async () => {
    const { store, ferry } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', customers(55));
    store.fault = (item) => ({ ok: false, error: new PermanentError(Number(item.sourceId) <= 50 ? 'email bounced: mailbox unknown' : 'name taken', { status: 400 }) });
    await ferry('run', 'customers');
    const refused = await ferry('dead-letter', 'discard', 'customers', '--matching', 'BOUNCED', '--reason', 'left the business');
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/^This will discard 50 dead-lettered record\(s\) of customers: (\d+, ){10}and 40 more; reason: left the business$/);
    expect(refused.err).toBe('ferry: nobody at a terminal to ask: add --yes to go ahead');
    const done = await ferry('dead-letter', 'discard', 'customers', '--matching', 'bounced', '--reason', 'left the business', '--yes');
    expect(done.code).toBe(0);
    expect(done.out).toContain('discarded 50 record(s) of customers: left the business');
    const left = JSON.parse((await ferry('dead-letter', 'list', '--json')).out) as { sourceId: string }[];
    expect(left.map((r) => r.sourceId).sort((a, b) => Number(a) - Number(b))).toEqual(['51', '52', '53', '54', '55']);
    const shown = JSON.parse((await ferry('dead-letter', 'show', 'customers', '7', '--json')).out) as { record: { status: string }; history: { kind: string; detail: { reason?: string } }[] };
    expect(shown.record.status).toBe('skipped');
    expect(shown.history.at(-1)).toMatchObject({ kind: 'discarded', detail: { reason: 'left the business' } });
  });

  it('approve, reject and resync take a selection too, and say what they will do first', async () => {
    const { store, ferry } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', [...customers(3), ...customers(12, 4, { vip: true })]);
    store.fault = (item) => (['1', '2'].includes(item.sourceId) ? { ok: false, error: new PermanentError('Email is not allowed', { status: 400 }) } : undefined);
    await ferry('run', 'customers');

    // Nothing named and nothing chosen is a usage error, not "every record".
    expect(await ferry('approve', 'customers')).toMatchObject({ code: 2, err: expect.stringContaining('name the records (ids), or choose them with --all') });
    const rejected = await ferry('reject', 'customers', '14', '15', '--reason', 'duplicates of 4 and 5', '--yes');
    expect(rejected.out.split('\n')).toEqual(['This will reject 2 held record(s) of customers: 14, 15; reason: duplicates of 4 and 5', 'rejected 2 record(s) of customers: duplicates of 4 and 5']);
    const approveAll = await ferry('approve', 'customers', '--all');
    expect(approveAll).toMatchObject({ code: 2, err: 'ferry: nobody at a terminal to ask: add --yes to go ahead' });
    expect(approveAll.out).toMatch(/^This will approve 10 held record\(s\) of customers: (\d+, ){9}\d+$/);
    const approved = await ferry('approve', 'customers', '--all', '--yes', '--now');
    expect(approved.code).toBe(0);
    expect(approved.out).toContain('approved 10 record(s) of customers');
    expect(store.targets.get('accounts')?.size).toBe(11);

    store.fault = undefined;
    const resent = await ferry('resync', 'customers', '--matching', 'not allowed');
    expect(resent.out).toMatch(/^This will resend 2 failed or dead record\(s\) of customers: 1, 2\n/);
    expect(resent.code).toBe(0);
    expect(store.targets.get('accounts')?.size).toBe(13);
    const left = JSON.parse((await ferry('info', '--attention', '--json')).out) as { sourceId: string; status: string }[];
    expect(left.map((r) => [r.sourceId, r.status]).sort()).toEqual([['14', 'dead'], ['15', 'dead']]);
    expect((await ferry('resync', 'customers', '--status', 'synced', 'pending')).err).toBe('ferry: --status pending: this action takes records that are synced, waiting, failed, dead, held, skipped');
  });

  it('dead-letter edit sends a corrected payload once, checked against the target schema, and keeps both payloads in the history', async () => {
    const { store, ferry, cwd } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', [...customers(2), ...customers(1, 3, { vip: true })]);
    // The target refuses one address; the person corrects it in the payload, not at the source.
    store.fault = (item) => (item.payload.Email === 'c2@example.com' ? { ok: false, error: new PermanentError('Email is on the suppression list', { status: 400, field: 'Email' }) } : undefined);
    await ferry('run', 'customers');
    const written = () => store.writeCalls.flat().filter((w) => w.sourceId === '2').length;
    const triedBefore = written();

    writeFileSync(join(cwd, 'bad.json'), JSON.stringify({ Name: '', Email: 'billing@example.com', Total: -1 }));
    const refused = await ferry('dead-letter', 'edit', 'customers', '2', '--payload', 'bad.json');
    expect(refused.code).toBe(2);
    expect(refused.err.split('\n')).toEqual(['customers / 2 payload: Name: must NOT have fewer than 1 characters', 'customers / 2 payload: Total: must be >= 0', 'ferry: nothing sent; correct the payload and try again']);
    writeFileSync(join(cwd, 'broken.json'), '{ "Name": ');
    expect((await ferry('dead-letter', 'edit', 'customers', '2', '--payload', 'broken.json')).err).toMatch(/^ferry: .*broken\.json is not JSON: .*; nothing sent$/);
    expect(written()).toBe(triedBefore);

    writeFileSync(join(cwd, 'fixed.json'), JSON.stringify({ Name: 'Customer 2', Email: 'billing@example.com', Total: 20 }));
    const sent = await ferry('dead-letter', 'edit', 'customers', '2', '--payload', 'fixed.json');
    expect(sent.code).toBe(0);
    expect(written()).toBe(triedBefore + 1);
    const account = [...store.targets.get('accounts')!.values()].find((a) => a.Email === 'billing@example.com');
    expect(account).toMatchObject({ Name: 'Customer 2', Total: 20 });
    const shown = JSON.parse((await ferry('dead-letter', 'show', 'customers', '2', '--json')).out) as { record: { status: string }; history: { kind: string; detail: Record<string, unknown> }[] };
    expect(shown.record.status).toBe('synced');
    const edited = shown.history.find((e) => e.kind === 'edited')!;
    expect(edited.detail).toMatchObject({ original: { Email: 'c2@example.com' }, edited: { Email: 'billing@example.com' }, by: expect.any(String) });
    expect(shown.history.at(-1)!.kind).toBe('created');

    // The unchanged source stays as sent; its next change maps normally again.
    await ferry('run', 'customers');
    expect(written()).toBe(triedBefore + 1);
    store.fault = undefined;
    store.sources.set('customers', [...customers(1), { ...customers(1, 2)[0]!, name: 'Customer Two', updated_at: '2026-11-01T00:00:00Z' }]);
    await ferry('run', 'customers');
    expect(store.targets.get('accounts')!.get(String(account!.id))).toMatchObject({ Name: 'Customer Two', Email: 'c2@example.com' });

    // A held record, edited in $EDITOR before anyone approved it: sent as edited.
    const editor = join(cwd, 'editor.mjs');
    writeFileSync(editor, "import { readFileSync, writeFileSync } from 'node:fs';\nconst f = process.argv[2];\nconst p = JSON.parse(readFileSync(f, 'utf8'));\np.Name = 'Customer 3 (checked)';\nwriteFileSync(f, JSON.stringify(p));\n");
    const before = process.env.EDITOR;
    process.env.EDITOR = `node ${editor}`;
    try {
      expect((await ferry('dead-letter', 'edit', 'customers', '3')).code).toBe(0);
    } finally {
      if (before === undefined) delete process.env.EDITOR;
      else process.env.EDITOR = before;
    }
    expect([...store.targets.get('accounts')!.values()].find((a) => a.Email === 'c3@example.com')?.Name).toBe('Customer 3 (checked)');
    expect((await ferry('dead-letter', 'edit', 'customers', '3')).err).toBe('ferry: customers / 3 is not dead-lettered, failed or held (it is synced)');
  });

  it('info --attention exports every record needing attention with its reason and fix, as JSON or CSV', async () => {
    const { store, ferry } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', [...customers(2), ...customers(1, 3, { vip: true })]);
    store.fault = (item) => (item.sourceId === '2' ? { ok: false, error: new PermanentError('name "Customer 2" is taken, pick another', { status: 400 }) } : undefined);
    await ferry('run', 'customers');
    const rows = JSON.parse((await ferry('info', '--attention')).out) as { flow: string; sourceId: string; status: string; fix: string }[];
    expect(rows.sort((a, b) => a.sourceId.localeCompare(b.sourceId))).toEqual([
      expect.objectContaining({ flow: 'customers', sourceId: '2', status: 'dead', reason: 'name "Customer 2" is taken, pick another', fix: 'ferry resync customers --record 2' }),
      expect.objectContaining({ flow: 'customers', sourceId: '3', status: 'held', reason: 'vip-hold: needs approval', fix: 'ferry approve customers 3' }),
    ]);
    const csv = (await ferry('info', '--attention', '--csv')).out.split('\n');
    expect(csv[0]).toBe('flow,sourceId,status,reason,since,attempts,fix');
    expect(csv).toHaveLength(3);
    expect(csv.find((l) => l.startsWith('customers,2,'))).toMatch(/^customers,2,dead,"name ""Customer 2"" is taken, pick another",\d{4}-[^,]+,\d+,ferry resync customers --record 2$/);
    expect(csv.find((l) => l.startsWith('customers,3,'))).toMatch(/^customers,3,held,vip-hold: needs approval,\d{4}-[^,]+,\d*,ferry approve customers 3$/);
    expect(await ferry('info', '--csv')).toMatchObject({ code: 2, err: '--csv goes with --attention: it exports the records that need attention' });
  });
});

describe('ferry demo', () => {
  it('approve books a held record on the next run; reject dead-letters one with the reason; both stay in its history', async () => {
    const { store, ferry } = project({ 'customers.yaml': CUSTOMERS_FLOW });
    store.sources.set('customers', [...customers(2), ...customers(2, 3, { vip: true })]);
    expect((await ferry('run', 'customers')).code).toBe(1);
    expect(store.targets.get('accounts')?.size).toBe(2);

    const approved = await ferry('approve', 'customers', '3');
    expect(approved).toMatchObject({ code: 0, out: expect.stringContaining('approved 1 record(s) of customers: 3') });
    const rejected = await ferry('reject', 'customers', '4', '--reason', 'not a real VIP');
    expect(rejected).toMatchObject({ code: 0, out: 'customers / 4 rejected and dead-lettered: not a real VIP' });

    expect((await ferry('run', 'customers')).code).toBe(0);
    expect([...store.targets.get('accounts')!.values()].map((a) => a.Email).sort()).toEqual(['c1@example.com', 'c2@example.com', 'c3@example.com']);
    const dead = JSON.parse((await ferry('dead-letter', 'list', '--json')).out) as { sourceId: string; reason: string }[];
    expect(dead).toEqual([expect.objectContaining({ sourceId: '4', reason: 'rejected: not a real VIP' })]);
    const shown = JSON.parse((await ferry('dead-letter', 'show', 'customers', '4', '--json')).out) as { history: { kind: string; detail: { reason?: string } }[] };
    expect(shown.history.map((e) => e.kind)).toEqual(['held', 'rejected']);
    expect(shown.history[1]!.detail.reason).toBe('not a real VIP');

    // Neither works on a record that is not held.
    expect(await ferry('approve', 'customers', '1')).toMatchObject({ code: 2, err: 'ferry: customers / 1 is not held (it is synced)' });
    expect((await ferry('reject', 'customers', '3', '--reason', 'x')).err).toBe('ferry: customers / 3 is not held (it is synced)');
    // A changed record is checked again: the approval was for the version a person saw.
    store.sources.set('customers', [...customers(2), { ...customers(1, 3, { vip: true })[0]!, name: 'Renamed', updated_at: '2026-10-09T00:00:00Z' }]);
    await ferry('run', 'customers');
    expect(store.targets.get('accounts')!.get('3')?.Name).toBe('Customer 3');
    const info = JSON.parse((await ferry('info', 'customers', '--json')).out) as { flows: { failures: { sourceId: string; status: string }[] }[] };
    expect(info.flows[0]!.failures.map((f) => [f.sourceId, f.status]).sort()).toEqual([['3', 'held'], ['4', 'dead']]);
  });

  it('runs the shipped flows against in-process emulators, continues the same business, syncs only new activity, and starts over on --reset', { timeout: 180_000 }, async () => {
    const { resolve } = await import('node:path');
    const { existsSync } = await import('node:fs');
    const { registry } = await import('../../connectors/registry.js');
    const cwd = tempDir('ferry-demo-');
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'ferry.yaml'), `flows: ${resolve(import.meta.dirname, '../../flows')}\n`);
    const ferry = async (...args: string[]) => {
      const io = bufferIo();
      const code = await main(['node', 'ferry', ...args], { io, cwd, registry });
      return { code, out: io.stdout.join('\n') };
    };
    type Counts = Record<string, number>;
    const lastRuns = async () => {
      const info = JSON.parse((await ferry('info', '--json')).out) as { flows: { name: string; lastRun: { status: string; counts: Counts } }[] };
      return new Map(info.flows.map((f) => [f.name, f.lastRun]));
    };
    const sum = (runs: Map<string, { counts: Counts }>, flows: string[], key: string) => flows.reduce((n, f) => n + runs.get(f)!.counts[key]!, 0);
    const ORDER_FLOWS = ['shopify-orders-to-quickbooks-sales-receipts', 'shopify-orders-to-quickbooks-invoices'];
    const REFUND_FLOWS = ['shopify-refunds-to-quickbooks-refund-receipts', 'shopify-refunds-to-quickbooks-credit-memos'];

    const first = await ferry('demo', '--data-size', 'small');
    expect(first.code).toBe(0);
    expect(existsSync(join(cwd, '.ferry', 'report.html'))).toBe(true);
    const firstRuns = await lastRuns();
    expect(firstRuns.size).toBe(17);
    for (const [flow, run] of firstRuns) expect(run.counts.failed + run.counts.dead, flow).toBe(0);
    expect(firstRuns.get('shopify-customers-to-quickbooks')!.counts.read).toBe(12);
    expect(sum(firstRuns, ORDER_FLOWS, 'created') + sum(firstRuns, ORDER_FLOWS, 'held')).toBe(40);

    // Nothing new in the business: nothing created or updated anywhere.
    expect((await ferry('demo', '--data-size', 'small')).code).toBe(0);
    for (const [flow, run] of await lastRuns()) expect(run.counts, flow).toMatchObject({ created: 0, updated: 0 });

    // New activity: exactly that is synced.
    const busy = await ferry('demo', '--data-size', 'small', '--activity', '12');
    const [, orders, payments, refunds] = /New in Shopify since the last run: (\d+) order\(s\), (\d+) payment\(s\) of orders on terms, (\d+) refund\(s\)/.exec(busy.out)!.map(Number);
    const [, won, paid, partly] = /New in HubSpot and Stripe: (\d+) deal\(s\) won, (\d+) invoice\(s\) paid, (\d+) part payment\(s\)/.exec(busy.out)!.map(Number);
    expect(orders! + payments! + refunds! + won! + paid! + partly!).toBe(12);
    const busyRuns = await lastRuns();
    expect(sum(busyRuns, ORDER_FLOWS, 'created') + sum(busyRuns, ORDER_FLOWS, 'held')).toBe(orders);
    expect(sum(busyRuns, ['shopify-payments-to-quickbooks'], 'created') + sum(busyRuns, ['shopify-payments-to-quickbooks'], 'waiting')).toBe(payments);
    expect(sum(busyRuns, REFUND_FLOWS, 'created')).toBe(refunds);
    // A deal won becomes a Stripe invoice and then a QuickBooks invoice; a payment is applied, a part payment held.
    expect(sum(busyRuns, ['hubspot-deals-to-stripe-invoices'], 'created')).toBe(won);
    expect(sum(busyRuns, ['stripe-invoices-to-quickbooks-invoices'], 'created')).toBe(won);
    expect(sum(busyRuns, ['stripe-payments-to-quickbooks-payments'], 'created')).toBe(paid);
    expect(sum(busyRuns, ['stripe-payments-to-quickbooks-payments'], 'held')).toBe(partly);
    // The only updates are deals learning what their invoices collected: every deal won (unpaid), and
    // the paid invoices that came from deals (a part payment waits for a person; seeded invoices have no deal).
    const dealsUpdated = sum(busyRuns, ['quickbooks-invoices-to-hubspot-deals'], 'updated');
    expect(dealsUpdated).toBeGreaterThanOrEqual(won!);
    expect(dealsUpdated).toBeLessThanOrEqual(won! + paid!);
    expect(sum(busyRuns, [...busyRuns.keys()], 'updated')).toBe(dealsUpdated);

    // Starting over re-creates exactly what the first demo created.
    expect((await ferry('demo', '--reset', '--data-size', 'small')).code).toBe(0);
    const created = (runs: Map<string, { counts: Counts }>) => [...runs].map(([flow, run]) => [flow, run.counts.created, run.counts.held]);
    expect(created(await lastRuns())).toEqual(created(firstRuns));
  });
});
