/**
 * The sales side of order-to-cash end to end over HTTP, with the shipped flows: a HubSpot deal won
 * becomes a Stripe invoice to its company, then a QuickBooks invoice; Stripe payments are applied to
 * that invoice (cash application), exceptions are held, and the deal learns what was collected. Edits
 * at the source reach every system downstream, and a run with nothing new writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import qs from 'qs';
import type { EmulatorServer } from '../../emulators/core/server.js';
import { ok as call } from '../../emulators/seed.js';
import { type EmulatedProject, emulatedProject, quickBooksQuery } from '../support/emulated-project.js';

type Json = Record<string, unknown>;
let project: EmulatedProject;
let hubspot: EmulatorServer;
let stripe: EmulatorServer;

const cents = (v: unknown) => Math.round(Number(v) * 100);

const stripePost = (path: string, params: object) => call(stripe, 'POST', path, qs.stringify(params), { 'content-type': 'application/x-www-form-urlencoded' });
const stripeGet = async (path: string) => (await call(stripe, 'GET', path)) as Json;
const qboQuery = (entity: string) => quickBooksQuery(project.emulator('quickbooks'), entity);
async function deal(id: string): Promise<Record<string, string>> {
  const body = (await call(hubspot, 'GET', `/crm/v3/objects/deals/${id}?properties=dealname,amount,dealstage,ferry_payment_status,ferry_amount_collected,ferry_paid_date`)) as { properties: Record<string, string> };
  return body.properties;
}
async function runAll() {
  const result = await project.ferry('run', '--all', '--json');
  const runs = JSON.parse(result.out).runs as { flow: string; counts: Record<string, number> }[];
  for (const run of runs) expect(run.counts, run.flow).toMatchObject({ failed: 0, dead: 0 });
  return new Map(runs.map((r) => [r.flow, r.counts]));
}

beforeAll(async () => {
  project = await emulatedProject(['shopify', 'hubspot', 'stripe', 'quickbooks'], { seed: 11, dataSize: 'small', rateScale: 10 });
  hubspot = project.emulator('hubspot').server;
  stripe = project.emulator('stripe').server;
}, 60_000);
afterAll(() => project.close());

describe('HubSpot deal → Stripe invoice → QuickBooks invoice → payment → deal', () => {
  it('invoices every won deal to the cent, applies payments, holds exceptions, reports cash on the deal, and propagates edits', { timeout: 120_000 }, async () => {
    // Sales wins three more deals before the first sync.
    const open = (await call(hubspot, 'POST', '/crm/v3/objects/deals/search', { filterGroups: [{ filters: [{ propertyName: 'dealstage', operator: 'NOT_IN', values: ['closedwon', 'closedlost'] }] }], properties: [], limit: 3 })) as { results: { id: string }[] };
    for (const d of open.results) await call(hubspot, 'PATCH', `/crm/v3/objects/deals/${d.id}`, { properties: { dealstage: 'closedwon' } });
    await runAll();

    // Every won deal is one Stripe invoice to its company, for the deal's amount, finalized and sent.
    const won = (await call(hubspot, 'POST', '/crm/v3/objects/deals/search', { filterGroups: [{ filters: [{ propertyName: 'dealstage', operator: 'EQ', value: 'closedwon' }] }], properties: ['amount'], limit: 100 })) as { results: { id: string; properties: { amount: string } }[] };
    expect(won.results.length).toBeGreaterThan(0);
    const invoices = ((await stripeGet('/v1/invoices?limit=100')).data as Json[]).filter((i) => (i.metadata as Json).hubspot_deal_id);
    expect(invoices.map((i) => (i.metadata as Json).hubspot_deal_id).sort()).toEqual(won.results.map((d) => d.id).sort());
    const qboInvoices = await qboQuery('Invoice');
    const qboCustomers = await qboQuery('Customer');
    const qboItems = await qboQuery('Item');
    const products = (await stripeGet('/v1/products?limit=100')).data as Json[];
    for (const d of won.results) {
      const invoice = invoices.find((i) => (i.metadata as Json).hubspot_deal_id === d.id)!;
      expect(invoice.status, d.id).toBe('open');
      expect(invoice.total, d.id).toBe(cents(d.properties.amount));
      const company = (await call(hubspot, 'GET', `/crm/v4/objects/deals/${d.id}/associations/companies`)) as { results: { toObjectId: number }[] };
      const customer = await stripeGet(`/v1/customers/${String(invoice.customer)}`);
      expect((customer.metadata as Json).hubspot_company_id).toBe(String(company.results[0]!.toObjectId));
      // The receivable in the books: same number, same total, the company as customer, lines on the catalog's items.
      const booked = qboInvoices.filter((q) => q.DocNumber === invoice.number);
      expect(booked, String(invoice.number)).toHaveLength(1);
      expect(cents(booked[0]!.TotalAmt)).toBe(invoice.total);
      const bookedCustomer = qboCustomers.find((c) => c.Id === (booked[0]!.CustomerRef as Json).value)!;
      expect(bookedCustomer.DisplayName).toBe(customer.name);
      const dates = (at: unknown) => new Date(Number(at) * 1000).toISOString().slice(0, 10);
      expect(booked[0]).toMatchObject({ TxnDate: dates(invoice.created), DueDate: dates(invoice.due_date) });
      const bookedLines = (booked[0]!.Line as Json[]).filter((l) => l.DetailType === 'SalesItemLineDetail');
      const stripeLines = (invoice.lines as { data: Json[] }).data;
      expect(bookedLines).toHaveLength(stripeLines.length);
      stripeLines.forEach((line, n) => {
        const detail = bookedLines[n]!.SalesItemLineDetail as { ItemRef: { value: string }; Qty: number; UnitPrice: number };
        const product = products.find((p) => p.id === (line.pricing as { price_details: { product: string } }).price_details.product)!;
        expect(cents(bookedLines[n]!.Amount)).toBe(line.amount);
        expect(detail.Qty).toBe(line.quantity);
        expect(cents(detail.UnitPrice) * Number(line.quantity)).toBe(line.amount);
        expect(qboItems.find((i) => i.Id === detail.ItemRef.value)!.Sku).toBe((product.metadata as Json).sku);
      });
    }
    expect(invoices.length).toBeGreaterThanOrEqual(3);

    // Cash: A paid in full, B in part (attached), C by a transfer that names its number, D names nothing.
    const [a, b, c] = invoices as [Json, Json, Json];
    await stripePost(`/v1/invoices/${String(a.id)}/pay`, {});
    const half = await stripePost('/v1/payment_intents', { amount: Math.floor(Number(b.amount_due) / 2), currency: 'usd', customer: b.customer, payment_method: 'pm_card_visa', confirm: true });
    await stripePost(`/v1/invoices/${String(b.id)}/attach_payment`, { payment_intent: half.id });
    const transfer = await stripePost('/v1/payment_intents', { amount: c.amount_due, currency: 'usd', customer: c.customer, payment_method: 'pm_card_visa', confirm: true, description: `Bank transfer for invoice ${String(c.number)}` });
    const stray = await stripePost('/v1/payment_intents', { amount: 1234, currency: 'usd', customer: c.customer, payment_method: 'pm_card_visa', confirm: true, description: 'Transfer, no reference' });
    const afterPayments = await runAll();
    expect(afterPayments.get('stripe-payments-to-quickbooks-payments')).toMatchObject({ created: 2, held: 2 });

    const PAYMENTS = 'stripe-payments-to-quickbooks-payments';
    const held = (JSON.parse((await project.ferry('info', PAYMENTS, '--json')).out) as { flows: { failures: { sourceId: string; status: string; reason: string }[] }[] }).flows[0]!.failures;
    expect(held.find((f) => f.sourceId === half.id)?.reason).toMatch(/^partial-payment: /);
    expect(held.find((f) => f.sourceId === stray.id)?.reason).toMatch(/^unmatched: /);

    const qboInvoiceOf = async (stripeInvoice: Json) => (await qboQuery('Invoice')).find((q) => q.DocNumber === stripeInvoice.number)!;
    const payments = await qboQuery('Payment');
    for (const paid of [a, c]) {
      const booked = await qboInvoiceOf(paid);
      expect(cents(booked.Balance), String(paid.number)).toBe(0);
      const payment = payments.find((p) => ((p.Line as { LinkedTxn: { TxnId: string }[] }[] | undefined) ?? []).some((l) => l.LinkedTxn[0]!.TxnId === booked.Id))!;
      expect(cents(payment.TotalAmt)).toBe(paid.amount_due);
      const properties = await deal(String((paid.metadata as Json).hubspot_deal_id));
      expect(properties.ferry_payment_status).toBe('paid');
      expect(properties.ferry_paid_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(cents(properties.ferry_amount_collected)).toBe(paid.amount_due);
    }
    expect(payments.some((p) => String(transfer.id).endsWith(String(p.PaymentRefNum)))).toBe(true);
    expect((await deal(String((b.metadata as Json).hubspot_deal_id))).ferry_payment_status).toBe('unpaid');

    // A person accepts the part payment: booked, and the deal shows what is still owed.
    expect((await project.ferry('approve', PAYMENTS, String(half.id))).code).toBe(0);
    await runAll();
    const partly = await qboInvoiceOf(b);
    expect(cents(partly.Balance)).toBe(Number(b.amount_due) - Number(half.amount));
    const partlyDeal = await deal(String((b.metadata as Json).hubspot_deal_id));
    expect(partlyDeal.ferry_payment_status).toBe('partially paid');
    expect(cents(partlyDeal.ferry_amount_collected)).toBe(half.amount);

    // An edit at the source reaches every system downstream: a company renamed in HubSpot is renamed in
    // Stripe and in QuickBooks; a deal renamed changes its Stripe invoice's description, and so the
    // QuickBooks invoice's note; a product renamed in Stripe renames its QuickBooks item.
    const companyId = (await stripeGet(`/v1/customers/${String(a.customer)}`)).metadata as Json;
    await call(hubspot, 'PATCH', `/crm/v3/objects/companies/${String(companyId.hubspot_company_id)}`, { properties: { name: 'Renamed Trading Co' } });
    await call(hubspot, 'PATCH', `/crm/v3/objects/deals/${String((a.metadata as Json).hubspot_deal_id)}`, { properties: { dealname: 'Renamed deal' } });
    const product = products.find((p) => p.id === ((a.lines as { data: Json[] }).data[0]!.pricing as { price_details: { product: string } }).price_details.product)!;
    await stripePost(`/v1/products/${String(product.id)}`, { name: 'Renamed product' });
    const edited = await runAll();
    for (const flow of ['hubspot-companies-to-stripe-customers', 'hubspot-deals-to-stripe-invoices', 'stripe-customers-to-quickbooks-customers', 'stripe-invoices-to-quickbooks-invoices', 'stripe-products-to-quickbooks-items']) {
      expect(edited.get(flow), flow).toMatchObject({ created: 0, updated: 1 });
    }
    expect(String((await qboInvoiceOf(a)).PrivateNote)).toContain('HubSpot deal: Renamed deal');
    expect((await qboQuery('Item')).filter((i) => i.Sku === (product.metadata as Json).sku).map((i) => i.Name)).toEqual(['Renamed product']);
    expect((await stripeGet(`/v1/customers/${String(a.customer)}`)).name).toBe('Renamed Trading Co');
    expect((await stripeGet(`/v1/invoices/${String(a.id)}`)).description).toBe('HubSpot deal: Renamed deal');
    const renamed = (await qboQuery('Customer')).filter((q) => q.DisplayName === 'Renamed Trading Co');
    expect(renamed).toHaveLength(1);
    expect(renamed[0]!.Id).toBe(((await qboInvoiceOf(a)).CustomerRef as Json).value);

    // Cash application by hand: the stray transfer is another customer's, so B's invoice refuses it; a
    // second transfer from B's customer is applied to B's invoice for part of its balance, to the cent.
    const refusedApply = await project.ferry('apply', PAYMENTS, String(stray.id), '--to', String(b.number));
    expect(refusedApply.code).toBe(2);
    expect(refusedApply.err).toMatch(new RegExp(`^ferry: invoice ${String(b.number)} is .*'s, not the payment's customer \\(\\d+\\); nothing sent$`));
    const wire = await stripePost('/v1/payment_intents', { amount: 2501, currency: 'usd', customer: b.customer, payment_method: 'pm_card_visa', confirm: true, description: 'Wire, reference lost' });
    await runAll();
    const balanceBefore = cents((await qboInvoiceOf(b)).Balance);
    const tooMuch = await project.ferry('apply', PAYMENTS, String(wire.id), '--to', String(b.number), '--amount', '25.02');
    expect(tooMuch).toMatchObject({ code: 2, err: "ferry: 25.02 is more than the payment's total of 25.01; nothing sent" });
    const applied = await project.ferry('apply', PAYMENTS, String(wire.id), '--to', String(b.number), '--amount', '20.07');
    expect(applied.code).toBe(0);
    expect(applied.out).toContain(`applied to invoice ${String(b.number)}: 20.07 of its balance ${(balanceBefore / 100).toFixed(2)} (${((balanceBefore - 2007) / 100).toFixed(2)} left open)`);
    expect(cents((await qboInvoiceOf(b)).Balance)).toBe(balanceBefore - 2007);
    const wirePayment = (await qboQuery('Payment')).find((p) => String(wire.id).endsWith(String(p.PaymentRefNum)))!;
    expect(cents(wirePayment.TotalAmt)).toBe(2501);
    expect(cents(wirePayment.UnappliedAmt)).toBe(494);
    const paymentHistory = JSON.parse((await project.ferry('dead-letter', 'show', PAYMENTS, String(wire.id), '--json')).out) as { history: { kind: string; detail: Json }[] };
    expect(paymentHistory.history.find((e) => e.kind === 'applied')?.detail).toMatchObject({ to: `invoice ${String(b.number)}`, amount: '20.07' });
    const invoiceHistory = JSON.parse((await project.ferry('dead-letter', 'show', 'stripe-invoices-to-quickbooks-invoices', String(b.id), '--json')).out) as { history: { kind: string; detail: Json }[] };
    expect(invoiceHistory.history.find((e) => e.kind === 'payment-applied')?.detail).toMatchObject({ payment: `${PAYMENTS}/${String(wire.id)}`, amount: '20.07' });

    // The invoice changed in QuickBooks, so its deal learns what was collected.
    expect((await runAll()).get('quickbooks-invoices-to-hubspot-deals')).toMatchObject({ updated: 1 });
    expect(cents((await deal(String((b.metadata as Json).hubspot_deal_id))).ferry_amount_collected)).toBe(Number(half.amount) + 2007);

    // Nothing new anywhere: nothing written.
    const quiet = await runAll();
    for (const [flow, counts] of quiet) expect(counts, flow).toMatchObject({ created: 0, updated: 0 });
  });
});
