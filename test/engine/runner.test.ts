import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import type { Flow } from '../../src/flow/types.js';
import { Harness, CUSTOMERS_FLOW, customers, flowFrom, flowsFrom, ORDERS_FLOW } from '../support/harness.js';
import { createMemoryStore } from '../support/memory-connector.js';

describe('runner', () => {
  it('creates every record once, and a second run with nothing changed writes nothing', async () => {
    const h = new Harness();
    const flow = flowFrom(CUSTOMERS_FLOW);
    h.addSource('customers', customers(250));

    const first = await h.run(flow);
    expect(first.status).toBe('succeeded');
    expect(first.counts).toMatchObject({ read: 250, created: 250, updated: 0, unchanged: 0, dead: 0 });
    expect(h.target('accounts').size).toBe(250);
    expect(h.target('accounts').get('1')).toMatchObject({ Name: 'Customer 1', Email: 'c1@example.com', Total: 10.1 });

    const writesBefore = h.writesSent();
    const second = await h.run(flow, { selection: { kind: 'incremental', full: true } });
    expect(second.counts).toMatchObject({ read: 250, created: 0, updated: 0, unchanged: 250 });
    expect(h.writesSent()).toBe(writesBefore);
  });

  it('reads incrementally from the cursor, with the overlap window costing no writes', async () => {
    const h = new Harness();
    const flow = flowFrom(CUSTOMERS_FLOW);
    h.addSource('customers', customers(10));
    await h.run(flow);
    h.addSource('customers', customers(5, 11));
    const second = await h.run(flow);
    // The 5-minute overlap re-reads the first ten (they are seconds apart); the hash makes them free.
    expect(second.counts.created).toBe(5);
    expect(second.counts.created + second.counts.unchanged).toBe(second.counts.read);
    expect(await h.ledger.getCursor('customers')).toBe(customers(1, 15)[0]!.updated_at);
  });

  it('updates a record whose source changed, in place', async () => {
    const h = new Harness();
    const flow = flowFrom(CUSTOMERS_FLOW);
    h.addSource('customers', customers(3));
    await h.run(flow);
    h.addSource('customers', customers(1, 2, { name: 'Renamed', updated_at: '2026-10-02T00:00:00.000Z' }));
    const result = await h.run(flow);
    expect(result.counts).toMatchObject({ updated: 1, created: 0 });
    expect(h.target('accounts').get('2')?.Name).toBe('Renamed');
    expect(h.target('accounts').size).toBe(3);
  });

  it('$ref against a target that keeps nothing by name dead-letters the record with the field and the reason', async () => {
    const h = new Harness();
    h.addSource('customers', customers(2));
    const flow = flowFrom(CUSTOMERS_FLOW.replace('Name: name', "Name: \"$ref('Term', 'Net 30')\""));
    expect((await h.run(flow)).counts).toMatchObject({ dead: 2, created: 0 });
    const [dead] = await h.ledger.listRecords('customers', { statuses: ['dead'] });
    expect(dead!.error).toMatchObject({ class: 'permanent', message: 'mapping.Name: $ref: memory keeps nothing by name' });
  });

  it('dead-letters a record the target rejects while the rest of the run completes', async () => {
    const h = new Harness();
    h.store.fault = (item) => (item.sourceId === '7' ? { ok: false, error: new PermanentError('Email is invalid', { status: 400, field: 'Email' }) } : undefined);
    h.addSource('customers', customers(20));
    const result = await h.run(flowFrom(CUSTOMERS_FLOW));
    expect(result.status).toBe('partial');
    expect(result.counts).toMatchObject({ created: 19, dead: 1 });
    const [dead] = await h.ledger.listRecords('customers', { statuses: ['dead'] });
    expect(dead).toMatchObject({ sourceId: '7', error: { class: 'permanent', status: 400, field: 'Email', message: 'Email is invalid' } });
    expect(dead!.payload).toMatchObject({ Name: 'Customer 7' });
  });

  it('a dead-lettered record replayed later asks the target to look before creating (its idempotency key may be forgotten)', async () => {
    const h = new Harness();
    h.store.fault = (item) => (item.sourceId === '7' ? { ok: false, error: new PermanentError('Email is invalid', { status: 400 }) } : undefined);
    h.addSource('customers', customers(8));
    await h.run(flowFrom(CUSTOMERS_FLOW));
    expect(h.store.writeCalls.flat().filter((i) => i.sourceId === '7').map((i) => i.retry)).toEqual([undefined]);
    h.store.fault = undefined;
    const replay = await h.run(flowFrom(CUSTOMERS_FLOW), { selection: { kind: 'records', ids: ['7'] } });
    expect(replay.counts).toMatchObject({ created: 1 });
    expect(h.store.writeCalls.at(-1)).toEqual([expect.objectContaining({ sourceId: '7', retry: true })]);
    // A record that synced the first time is written without the extra look.
    expect(h.store.writeCalls[0]!.filter((i) => i.sourceId !== '7').every((i) => i.retry === undefined)).toBe(true);
  });

  it('retries transient failures, waiting at least as long as Retry-After asks', async () => {
    const h = new Harness();
    h.store.fault = (item, attempt) =>
      item.sourceId === '3' && attempt < 3 ? { ok: false, error: new TransientError('rate limited', { status: 429, retryAfterMs: 2_000 }) } : undefined;
    h.addSource('customers', customers(5));
    const result = await h.run(flowFrom(CUSTOMERS_FLOW));
    expect(result.counts).toMatchObject({ created: 5, failed: 0, dead: 0 });
    expect(h.sleeps).toEqual([2_000, 2_000]);
    const [state] = await h.ledger.getRecords('customers', ['3']);
    expect(state!.attempts).toBe(3);
  });

  it('a transient failure that outlasts its attempts is retried on later runs, then dead-lettered', async () => {
    const h = new Harness();
    h.store.fault = (item) => (item.sourceId === '2' ? { ok: false, error: new TransientError('upstream 503', { status: 503 }) } : undefined);
    h.addSource('customers', customers(3));
    const flow = flowFrom(CUSTOMERS_FLOW.replace('retry:', 'on_failure: { retry_runs: 2 }\nretry:'));
    expect((await h.run(flow)).counts).toMatchObject({ created: 2, failed: 1 });
    expect((await h.run(flow)).counts).toMatchObject({ failed: 1 });
    const third = await h.run(flow);
    expect(third.counts).toMatchObject({ dead: 1, failed: 0 });
    const [dead] = await h.ledger.listRecords('customers', { statuses: ['dead'] });
    expect(dead).toMatchObject({ sourceId: '2', failedRuns: 2, error: { class: 'transient', status: 503 } });
  });

  it('rejects a record that fails the target schema with the field named, without calling the target', async () => {
    const h = new Harness();
    h.addSource('customers', [...customers(2), ...customers(1, 3, { balance: '-5.00' })]);
    const result = await h.run(flowFrom(CUSTOMERS_FLOW));
    expect(result.counts).toMatchObject({ created: 2, dead: 1 });
    const [dead] = await h.ledger.listRecords('customers', { statuses: ['dead'] });
    expect(dead!.error).toMatchObject({ class: 'permanent', code: 'validation', field: 'Total', message: 'Total: must be >= 0' });
    expect(h.store.writeCalls.flat().map((i) => i.sourceId)).not.toContain('3');
  });

  it('holds and skips by rule', async () => {
    const h = new Harness();
    h.addSource('customers', [...customers(1), ...customers(1, 2, { vip: true })]);
    const flow = flowFrom(CUSTOMERS_FLOW.replace('rules:\n', `rules:\n  - { name: no-test, when: "$contains(email, 'c1@')", action: skip, reason: test account }\n`));
    const result = await h.run(flow);
    expect(result.counts).toMatchObject({ held: 1, skipped: 1, created: 0 });
    const held = await h.ledger.listRecords('customers', { statuses: ['held'] });
    expect(held[0]).toMatchObject({ sourceId: '2', reason: 'vip-hold: needs approval' });
  });

  it('never creates a duplicate after a crash between the target write and the ledger update', async () => {
    const h = new Harness();
    const flow = flowFrom(CUSTOMERS_FLOW);
    h.addSource('customers', customers(30));
    // The "crash": the target has stored the batch holding record 15, and the ledger never hears of it.
    h.ledger.settle = async (runId, flowName, settlements) => {
      if (settlements.some((s) => s.sourceId === '15')) throw new Error('process killed');
      return SqliteLedger.prototype.settle.call(h.ledger, runId, flowName, settlements);
    };
    const crashed = await h.run(flow);
    expect(crashed.status).toBe('failed');
    const pending = await h.ledger.listRecords('customers', { statuses: ['pending'] });
    expect(pending.map((p) => p.sourceId)).toContain('15');

    h.ledger.settle = SqliteLedger.prototype.settle;
    const resumed = await h.run(flow);
    expect(resumed.status).toBe('succeeded');
    expect(await h.ledger.listRecords('customers', { statuses: ['pending'] })).toEqual([]);
    const emails = [...h.target('accounts').values()].map((r) => r.Email);
    expect(emails).toHaveLength(30);
    expect(new Set(emails).size).toBe(30);
  });

  /** A run that crashed after the target took the batch holding record 15: its writes are left pending. */
  async function crashedRun(h: Harness, flow: Flow): Promise<void> {
    h.ledger.settle = async (runId, flowName, settlements) => {
      if (settlements.some((s) => s.sourceId === '15')) throw new Error('process killed');
      return SqliteLedger.prototype.settle.call(h.ledger, runId, flowName, settlements);
    };
    expect((await h.run(flow)).status).toBe('failed');
    h.ledger.settle = SqliteLedger.prototype.settle;
    expect((await h.ledger.listRecords(flow.name, { statuses: ['pending'] })).length).toBeGreaterThan(0);
  }

  it('settling pending writes retries a busy target under the flow\'s retry policy', async () => {
    const h = new Harness();
    const flow = flowFrom(CUSTOMERS_FLOW);
    h.addSource('customers', customers(30));
    await crashedRun(h, flow);
    h.store.findFault = (_item, attempt) => (attempt < 3 ? new TransientError('service unavailable', { status: 503 }) : undefined);
    const resumed = await h.run(flow);
    expect(resumed.status).toBe('succeeded');
    expect(await h.ledger.listRecords('customers', { statuses: ['pending'] })).toEqual([]);
    expect(h.sleeps.length).toBeGreaterThan(0);
    expect(new Set([...h.target('accounts').values()].map((r) => r.Email)).size).toBe(30);
  });

  it('a write that still cannot be settled stays pending with its reason; the rest of the run goes on and its cursor waits', async () => {
    const h = new Harness();
    const flow = flowFrom(CUSTOMERS_FLOW);
    h.addSource('customers', customers(30));
    await crashedRun(h, flow);
    h.store.findFault = (item) => (item.sourceId === '15' ? new TransientError('service unavailable', { status: 503 }) : undefined);
    // Record 15 changes at the source while its interrupted write cannot be settled; new customers arrive.
    h.addSource('customers', customers(1, 15, { name: 'Renamed', updated_at: '2026-10-03T00:00:00.000Z' }));
    h.addSource('customers', customers(10, 31, { updated_at: '2026-10-04T00:00:00.000Z' }));

    const stuck = await h.run(flow);
    expect(stuck.status).toBe('partial');
    expect(stuck.message).toMatch(/1 interrupted write could not be settled.*service unavailable/);
    expect(stuck.counts.created).toBeGreaterThanOrEqual(10);
    const [pending] = await h.ledger.listRecords('customers', { statuses: ['pending'] });
    expect(pending).toMatchObject({ sourceId: '15', error: { class: 'transient', status: 503, message: expect.stringContaining('service unavailable') } });
    // Not written again while nobody knows whether the first write arrived.
    expect([...h.target('accounts').values()].filter((r) => r.Email === 'c15@example.com')).toHaveLength(1);

    h.store.findFault = undefined;
    const settled = await h.run(flow);
    expect(settled.status).toBe('succeeded');
    expect(await h.ledger.listRecords('customers', { statuses: ['pending'] })).toEqual([]);
    const accounts = [...h.target('accounts').values()];
    expect(accounts).toHaveLength(40);
    // The change made while it was stuck was read again, because the cursor had not passed it.
    expect(accounts.find((r) => r.Email === 'c15@example.com')?.Name).toBe('Renamed');
  });

  it('an expression that recurses without end fails its record; one past its time budget is tried again by later runs, then dead-lettered; the runs go on', { timeout: 30_000 }, async () => {
    const h = new Harness();
    const flow = flowFrom(`
name: budgets
source:
  connector: memory
  entity: customers
  filter: "( $deep := function($n) { $n = 0 ? true : $deep($n + 1) and true }; kind = 'deep' ? $deep(1) : true )"
target: { connector: memory, entity: accounts }
mapping:
  Name: "( $spin := function($n) { $spin($n + 1) }; kind = 'spin' ? $spin(0) : name )"
retry: { attempts: 1 }
on_failure: { retry_runs: 1 }
`);
    h.addSource('customers', [...customers(2), ...customers(1, 3, { kind: 'spin' }), ...customers(1, 4, { kind: 'deep' })]);
    const first = await h.run(flow);
    expect(first.status).toBe('partial');
    expect(first.counts).toMatchObject({ created: 2, failed: 1, dead: 1 });
    const [spinning] = await h.ledger.getRecords('budgets', ['3']);
    // The clock JSONata keeps runs through every await, so a busy process can be the cause: not dead yet.
    expect(spinning).toMatchObject({ status: 'failed', error: { class: 'transient', code: 'expression-timeout' } });
    expect(spinning!.error!.message).toMatch(/^mapping\.Name: .*Evaluation timeout after 1000 milliseconds/);
    const second = await h.run(flow);
    expect(second.counts).toMatchObject({ dead: 1 });
    const dead = new Map((await h.ledger.listRecords('budgets', { statuses: ['dead'] })).map((r) => [r.sourceId, r.error?.message]));
    expect(dead.get('3')).toMatch(/^mapping\.Name: .*Evaluation timeout after 1000 milliseconds/);
    expect(dead.get('4')).toMatch(/^source\.filter: .*Stack overflow/);
  });

  it('reserves a large page a window at a time, so a crash leaves few writes for the next run to ask about', async () => {
    // One page of 1,000, as a bulk read gives.
    const h = new Harness(createMemoryStore(1_000));
    const flow = flowFrom(CUSTOMERS_FLOW);
    h.addSource('customers', customers(1_000));
    const reserved: number[] = [];
    const markPending = h.ledger.markPending.bind(h.ledger);
    h.ledger.markPending = (runId, name, writes) => (reserved.push(writes.length), markPending(runId, name, writes));
    const result = await h.run(flow);
    expect(result.counts).toMatchObject({ created: 1_000 });
    // The memory target takes batches of 10, two at a time: eight rounds ahead is 160 writes.
    expect(Math.max(...reserved)).toBeLessThanOrEqual(160);
    expect(reserved.reduce((a, b) => a + b, 0)).toBe(1_000);
  });

  it('a run whose lease lapses and passes to another holder stops writing; the holder settles what it left', async () => {
    const h = new Harness();
    const flow = flowFrom(CUSTOMERS_FLOW);
    h.addSource('customers', customers(30));
    h.store.fault = (item) => {
      if (item.sourceId === '1' && h.now < new Date('2026-11-01T00:01:00Z')) {
        // Paused past its lease in the middle of the first batch; another process takes the flow.
        h.now = new Date(h.now.getTime() + 61_000);
        void h.ledger.acquireLock('flow:customers', 'other-process', 60_000);
      }
      return undefined;
    };
    const stale = await h.run(flow);
    expect(stale.status).toBe('failed');
    expect(stale.message).toMatch(/lost its lock to another process/);
    expect(h.writesSent()).toBeLessThan(30);
    expect(await h.ledger.listRecords('customers', { statuses: ['synced'] })).toEqual([]);

    await h.ledger.releaseLock('flow:customers', 'other-process');
    const holder = await h.run(flow);
    expect(holder.status).toBe('succeeded');
    expect(new Set([...h.target('accounts').values()].map((r) => r.Email)).size).toBe(30);
    expect(h.target('accounts').size).toBe(30);
  });

  it('refuses to run a flow another process holds the lock for', async () => {
    const h = new Harness();
    const flow = flowFrom(CUSTOMERS_FLOW);
    expect(await h.ledger.acquireLock('flow:customers', 'other-process', 60_000)).toBe(1);
    await expect(h.run(flow)).rejects.toThrow(/already running/);
    h.now = new Date(h.now.getTime() + 61_000); // the other holder's lease has expired
    await expect(h.run(flow)).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('a dry run reports what would happen and writes nothing anywhere', async () => {
    const h = new Harness();
    h.addSource('customers', [...customers(2), ...customers(1, 3, { vip: true }), ...customers(1, 4, { name: '' })]);
    const lines: string[] = [];
    const result = await h.run(flowFrom(CUSTOMERS_FLOW), { dryRun: true, onDryRun: (l) => lines.push(`${l.sourceId} ${l.action}${l.reason ? ` ${l.reason}` : ''}`) });
    expect(lines).toEqual(['1 create', '2 create', '3 hold vip-hold: needs approval', '4 reject Name: must NOT have fewer than 1 characters']);
    expect(result.runId).toBeUndefined();
    expect(h.writesSent()).toBe(0);
    expect(await h.ledger.listRuns()).toEqual([]);
    expect(await h.ledger.countByStatus('customers')).toMatchObject({ synced: 0, dead: 0, held: 0 });
  });
});

describe('runner: parents, flow changes, checkpoints', () => {
  it('an order whose customer has not synced waits, then syncs once the customer does', async () => {
    const h = new Harness();
    const flows = flowsFrom(CUSTOMERS_FLOW, ORDERS_FLOW);
    const customersFlow = flows.get('customers')!;
    const ordersFlow = flows.get('orders')!;
    h.addSource('orders', [{ id: 'o1', name: 'Order 1', customer_id: 1, updated_at: '2026-10-01T00:00:00Z' }]);

    const early = await h.run(ordersFlow);
    expect(early).toMatchObject({ status: 'partial', counts: { waiting: 1, created: 0 } });
    const [waiting] = await h.ledger.listRecords('orders', { statuses: ['waiting'] });
    expect(waiting).toMatchObject({ sourceId: 'o1', waitingOn: 'customers:1', reason: 'waiting for customers record 1 to sync' });

    h.addSource('customers', customers(1));
    await h.run(customersFlow);
    const later = await h.run(ordersFlow);
    expect(later).toMatchObject({ status: 'succeeded', counts: { created: 1, waiting: 0 } });
    expect(h.target('invoices').get('1')).toMatchObject({ Name: 'Order 1', ParentRef: '1' });
  });

  it('a record that waits longer than waiting.max_age is dead-lettered with the reason', async () => {
    const h = new Harness();
    h.addSource('orders', [{ id: 'o1', name: 'Order 1', customer_id: 99, updated_at: '2026-10-01T00:00:00Z' }]);
    const flow = flowsFrom(CUSTOMERS_FLOW, ORDERS_FLOW).get('orders')!;
    await h.run(flow);
    h.now = new Date(h.now.getTime() + 2 * 3_600_000);
    const result = await h.run(flow);
    expect(result.counts).toMatchObject({ dead: 1, waiting: 0 });
    const [dead] = await h.ledger.listRecords('orders', { statuses: ['dead'] });
    expect(dead!.error).toMatchObject({ code: 'parent-missing', message: 'gave up waiting: waiting for customers record 99 to sync' });
  });

  it('editing the mapping re-evaluates synced records and writes only those whose output changed', async () => {
    const h = new Harness();
    h.addSource('customers', [...customers(3), ...customers(1, 4, { email: 'EXAMPLE@X.COM' })]);
    await h.run(flowFrom(CUSTOMERS_FLOW));
    const edited = flowFrom(CUSTOMERS_FLOW.replace('Email: email', 'Email: $lowercase(email)'));
    const writesBefore = h.writesSent();
    const result = await h.run(edited);
    expect(result.counts).toMatchObject({ read: 4, updated: 1, unchanged: 3 });
    expect(h.writesSent() - writesBefore).toBe(1);
    expect(h.target('accounts').get('4')?.Email).toBe('example@x.com');
    expect((await h.run(edited)).counts).toMatchObject({ created: 0, updated: 0 });
  });

  it('saves the cursor per page only after the page is settled, failures included', async () => {
    const h = new Harness();
    h.store.pageSize = 5;
    h.store.fault = (item) => (item.sourceId === '7' ? { ok: false, error: new PermanentError('bad') } : undefined);
    h.addSource('customers', customers(10));
    await h.run(flowFrom(CUSTOMERS_FLOW));
    expect(await h.ledger.getCursor('customers')).toBe(customers(1, 10)[0]!.updated_at);
    const states = await h.ledger.countByStatus('customers');
    expect(states).toMatchObject({ synced: 9, dead: 1, pending: 0 });
  });
});
