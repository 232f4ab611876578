/**
 * The shipped Shopify → QuickBooks flows end to end over HTTP, as `ferry run --all` runs them: every order
 * booked once as a sales receipt or an invoice, totals equal to the cent, payments applied to their
 * invoices, stock pushed back to Shopify, and a second run that writes nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulators } from '../../emulators/index.js';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { registry } from '../../connectors/registry.js';
import { quickBooksQuery, shippedFlowsFor } from '../support/emulated-project.js';

let running: RunningEmulator[];
let cwd: string;
const cents = (v: unknown) => Math.round(Number(v) * 100);

async function ferry(...args: string[]) {
  const io = bufferIo();
  const code = await main(['node', 'ferry', '--config', 'ferry.yaml', ...args], { io, cwd, registry });
  // Progress lines (stderr, where no terminal watches) are not complaints.
  return { code, out: io.stdout.join('\n'), err: io.stderr.filter((line) => !line.startsWith('progress ')).join('\n') };
}

beforeAll(async () => {
  // A company set up its own way: its accounts, tax codes and terms are not numbered 1, 2, 3 as a sandbox's.
  running = await startEmulators(['shopify', 'quickbooks'], { seed: 6, dataSize: 'small', ports: { shopify: 0, quickbooks: 0 }, quickbooks: { firstListId: 41 } });
  cwd = mkdtempSync(join(tmpdir(), 'ferry-o2c-'));
  const connections = Object.fromEntries(running.map((e) => [e.service, { connector: e.service, base_url: e.url, ...e.credentials }]));
  writeFileSync(join(cwd, 'ferry.yaml'), JSON.stringify({ flows: shippedFlowsFor(['shopify', 'quickbooks']), connections }));
}, 60_000);
afterAll(() => Promise.all(running.map((e) => e.close())));

describe('Shopify → QuickBooks order-to-cash', () => {
  it('books every order once, to the cent, applies payments, holds what breaks a credit limit, and is idempotent', { timeout: 120_000 }, async () => {
    const INVOICES = 'shopify-orders-to-quickbooks-invoices';
    const first = await ferry('run', '--all', '--json');
    const runs = JSON.parse(first.out).runs as { flow: string; status: string; counts: Record<string, number> }[];
    for (const run of runs) expect(run.counts, run.flow).toMatchObject({ failed: 0, dead: 0 });

    const shop = running.find((e) => e.service === 'shopify')!;
    const qbo = running.find((e) => e.service === 'quickbooks')!;
    const query = (entity: string) => quickBooksQuery(qbo, entity);
    const { orders } = (await shop.server.inject('GET', '/admin/api/2026-07/orders.json?status=any&limit=250')).body as {
      orders: { id: number; name: string; total_price: string; payment_terms: object | null; financial_status: string; total_outstanding: string; customer: { id: number } }[];
    };

    // The credit check: each held order is on terms, for a customer with a limit in QuickBooks, and would
    // take their open balance past it.
    const info = JSON.parse((await ferry('info', INVOICES, '--json')).out) as { flows: { failures: { sourceId: string; status: string; reason: string }[] }[] };
    const held = info.flows[0]!.failures.filter((f) => f.status === 'held');
    expect(held.length).toBeGreaterThan(0);
    const qboCustomers = await query('Customer');
    const invoicesBefore = await query('Invoice');
    for (const h of held) {
      expect(h.reason).toMatch(/^credit-limit: /);
      const order = orders.find((o) => String(o.id) === h.sourceId)!;
      expect(order.payment_terms).not.toBeNull();
      const trace = JSON.parse((await ferry('trace', `shopify/customers/${order.customer.id}`, '--json')).out) as { children: { key: string; link: { kind: string } }[] };
      const qboId = trace.children.find((c) => c.link.kind === 'became')!.key.split('/').pop();
      const customer = qboCustomers.find((c) => c.Id === qboId)!;
      const open = invoicesBefore.filter((i) => (i.CustomerRef as { value: string }).value === qboId).reduce((sum, i) => sum + cents(i.Balance), 0);
      expect(cents(customer.CreditLimit)).toBeGreaterThan(0);
      expect(open + cents(order.total_price), order.name).toBeGreaterThan(cents(customer.CreditLimit));
    }

    // A person approves them; the next run books them without asking again.
    const approval = await ferry('approve', INVOICES, ...held.map((h) => h.sourceId));
    expect(approval.code).toBe(0);
    await ferry('run', '--all');

    const receipts = await query('SalesReceipt');
    const invoices = await query('Invoice');
    const netThirty = (await query('Term')).find((t) => t.Name === 'Net 30')!.Id;
    const undeposited = (await query('Account')).find((a) => a.Name === 'Undeposited Funds')!.Id;
    expect([netThirty, undeposited]).toEqual(['43', '44']);
    const booked = [...receipts, ...invoices];
    expect(booked).toHaveLength(orders.length);
    for (const order of orders) {
      const documents = booked.filter((d) => d.DocNumber === order.name);
      expect(documents, order.name).toHaveLength(1);
      expect(cents(documents[0]!.TotalAmt), order.name).toBe(cents(order.total_price));
      if (order.payment_terms) {
        // The term is the company's own "Net 30", found by name: its id here is not the sandbox's 3.
        expect(documents[0]!.SalesTermRef, order.name).toMatchObject({ value: netThirty });
        // What the customer still owes in Shopify is what QuickBooks still shows open.
        expect(invoices).toContain(documents[0]);
        expect(cents(documents[0]!.Balance), order.name).toBe(cents(order.total_outstanding));
      }
    }
    expect((await query('Payment')).length).toBeGreaterThan(0);

    // Refunds of orders paid at checkout are refund receipts, one per refund, for what Shopify paid back;
    // refunds of orders on terms are credit memos.
    // An order's refunds, in the order they were made, are numbered 1, 2, … in their documents (`#1001-R2`).
    const allRefunds = orders.flatMap((o) => (o as unknown as { refunds: { id: number; transactions: { amount: string }[] }[] }).refunds.map((r, i) => ({ order: o, refund: r, number: i + 1 })));
    const refunds = allRefunds.filter((r) => !r.order.payment_terms);
    const termsRefunds = allRefunds.length - refunds.length;
    const refundReceipts = await query('RefundReceipt');
    expect(refunds.length).toBeGreaterThan(0);
    expect(await query('CreditMemo')).toHaveLength(termsRefunds);
    expect(refundReceipts).toHaveLength(refunds.length);
    for (const { order, refund, number } of refunds) {
      const receipt = refundReceipts.find((r) => r.DocNumber === `${order.name}-R${number}`);
      expect(receipt, `${order.name} refund ${refund.id}`).toBeDefined();
      expect(receipt!.DepositToAccountRef).toMatchObject({ value: undeposited });
      expect(cents(receipt!.TotalAmt)).toBe(refund.transactions.reduce((sum, t) => sum + cents(t.amount), 0));
      expect(String(receipt!.PrivateNote)).toMatch(new RegExp(`^Refund of Shopify order ${order.name} \\(sales receipt \\d+\\)$`));
    }

    // A refund on an order sold on terms (and paid) becomes a credit memo for that customer.
    const paidOnTerms = orders.find((o) => o.payment_terms && o.financial_status === 'paid' && !(o as unknown as { refunds: unknown[] }).refunds.length)!;
    const line = (paidOnTerms as unknown as { line_items: { id: number }[] }).line_items[0]!;
    const created = (await shop.server.inject('POST', `/admin/api/2026-07/orders/${paidOnTerms.id}/refunds.json`, { refund: { note: 'returned', shipping: { full_refund: true }, refund_line_items: [{ line_item_id: line.id, quantity: 1, restock_type: 'return' }] } })).body as {
      refund: { id: number; transactions: { amount: string }[] };
    };
    expect((await ferry('run', '--all')).err).toBe('');
    const memos = (await query('CreditMemo')).filter((m) => m.DocNumber === `${paidOnTerms.name}-C1`);
    expect(memos).toHaveLength(1);
    expect(await query('CreditMemo')).toHaveLength(termsRefunds + 1);
    const invoice = invoices.find((i) => i.DocNumber === paidOnTerms.name)!;
    expect(memos[0]).toMatchObject({ DocNumber: `${paidOnTerms.name}-C1`, CustomerRef: { value: (invoice.CustomerRef as { value: string }).value }, PrivateNote: `Refund of Shopify order ${paidOnTerms.name} (invoice ${String(invoice.Id)})` });
    expect(cents(memos[0]!.TotalAmt)).toBe(created.refund.transactions.reduce((sum, t) => sum + cents(t.amount), 0));

    // Edits at the source reach QuickBooks: a customer renamed, a price changed, a note added to an order;
    // and stock counted in QuickBooks reaches Shopify.
    const api = '/admin/api/2026-07';
    const { customers: shoppers } = (await shop.server.inject('GET', `${api}/customers.json?limit=1`)).body as { customers: { id: number; email: string }[] };
    await shop.server.inject('PUT', `${api}/customers/${shoppers[0]!.id}.json`, { customer: { first_name: 'Renamed' } });
    const { products } = (await shop.server.inject('GET', `${api}/products.json?limit=1`)).body as { products: { id: number; variants: { id: number; sku: string }[] }[] };
    const variant = products[0]!.variants[0]!;
    await shop.server.inject('PUT', `${api}/products/${products[0]!.id}.json`, { product: { variants: [{ id: variant.id, price: '123.45' }] } });
    const noted = orders.find((o) => !o.payment_terms)!;
    await shop.server.inject('PUT', `${api}/orders/${noted.id}.json`, { order: { note: 'Gift wrap, please' } });
    const item = (await query('Item')).find((i) => i.Sku === variant.sku)!;
    await qbo.server.inject('POST', `/v3/company/${qbo.credentials.realm_id}/item?minorversion=75`, { Id: item.Id, SyncToken: item.SyncToken, sparse: true, QtyOnHand: 77 });
    const edited = new Map((JSON.parse((await ferry('run', '--all', '--json')).out).runs as { flow: string; counts: Record<string, number> }[]).map((r) => [r.flow, r.counts]));
    for (const flow of ['shopify-customers-to-quickbooks', 'shopify-products-to-quickbooks-items', 'shopify-orders-to-quickbooks-sales-receipts', 'quickbooks-stock-to-shopify']) {
      expect(edited.get(flow), flow).toMatchObject({ created: 0, updated: 1 });
    }
    expect((await query('Customer')).find((c) => (c.PrimaryEmailAddr as { Address: string } | undefined)?.Address === shoppers[0]!.email)).toMatchObject({ GivenName: 'Renamed' });
    expect((await query('Item')).find((i) => i.Id === item.Id)).toMatchObject({ UnitPrice: 123.45, QtyOnHand: 77 });
    expect((await query('SalesReceipt')).find((r) => r.DocNumber === noted.name)).toMatchObject({ CustomerMemo: { value: 'Gift wrap, please' } });
    const { variants } = ((await shop.server.inject('GET', `${api}/products/${products[0]!.id}.json`)).body as { product: { variants: { inventory_quantity: number }[] } }).product;
    expect(variants[0]!.inventory_quantity).toBe(77);

    const again = await ferry('run', '--all', '--json');
    for (const run of JSON.parse(again.out).runs as { flow: string; status: string; counts: Record<string, number> }[]) {
      expect(run.counts, run.flow).toMatchObject({ created: 0, updated: 0, dead: 0, held: 0, waiting: 0 });
      expect(run.status, run.flow).toBe('succeeded');
    }
  });

});
