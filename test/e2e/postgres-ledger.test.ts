/**
 * The shipped Shopify → QuickBooks flows on a PostgreSQL ledger, through the CLI, as a deployment past
 * one machine runs them: every order booked once, a second run writing nothing, and the sync-info
 * report and a record's trace read back from PostgreSQL, and QuickBooks' budgets drawn from it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatedProject, emulatedProject, quickBooksQuery } from '../support/emulated-project.js';
import { type LedgerStore, ledgerKinds } from '../support/ledger-stores.js';

const postgres = ledgerKinds().find((k) => k.name === 'PostgreSQL')!;

describe.skipIf(postgres.unavailable !== undefined)('a PostgreSQL ledger', () => {
  let project: EmulatedProject;
  let store: LedgerStore;
  let url: string;
  beforeAll(async () => {
    project = await emulatedProject(['shopify', 'quickbooks'], { seed: 9, dataSize: 'small' });
    store = await postgres.store();
    url = store.location;
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await project?.close();
  });

  it('books every order once, writes nothing on a second run, and reports from PostgreSQL', { timeout: 120_000 }, async () => {
    const first = await project.ferry('--ledger', url, 'run', '--all', '--json');
    const runs = (JSON.parse(first.out) as { runs: { flow: string; counts: Record<string, number> }[] }).runs;
    const invoicesFlow = runs.find((r) => r.flow === 'shopify-orders-to-quickbooks-invoices')!;
    expect(invoicesFlow.counts.created).toBeGreaterThan(0);
    const invoices = await quickBooksQuery(project.emulator('quickbooks'), 'Invoice');
    const numbers = invoices.map((i) => i.DocNumber);
    expect(new Set(numbers).size).toBe(numbers.length);

    const second = JSON.parse((await project.ferry('--ledger', url, 'run', '--all', '--json')).out) as { runs: { flow: string; counts: Record<string, number> }[] };
    for (const run of second.runs) expect(run.counts, run.flow).toMatchObject({ created: 0, updated: 0 });
    expect((await quickBooksQuery(project.emulator('quickbooks'), 'Invoice')).length).toBe(invoices.length);

    const info = JSON.parse((await project.ferry('--ledger', url, 'info', '--json')).out) as { flows: { name: string; period: { runs: number }; records: { synced: number } }[] };
    expect(info.flows.find((f) => f.name === 'shopify-orders-to-quickbooks-invoices')).toMatchObject({ period: { runs: 2 }, records: { synced: expect.any(Number) } });
    const [row] = await store.sql("SELECT source_id FROM records WHERE flow = 'shopify-orders-to-quickbooks-invoices' AND status = 'synced' LIMIT 1");
    const trace = await project.ferry('--ledger', url, 'trace', `shopify/orders/${String(row!.source_id)}`);
    expect(trace.code).toBe(0);
    expect(trace.out).toContain('quickbooks/invoices/');

    // The QuickBooks company's budgets were drawn from the ledger, where other daemons would draw too.
    const keys = (await store.sql('SELECT DISTINCT key FROM request_budget ORDER BY key')).map((r) => String(r.key));
    expect(keys).toEqual(expect.arrayContaining([expect.stringMatching(/^quickbooks:realm \d+, app \S+:requests\/minute$/), expect.stringMatching(/^quickbooks:realm \d+, app \S+:batches\/minute$/)]));
  });
});
