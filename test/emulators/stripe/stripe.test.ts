/** The Stripe emulator driven by the official `stripe` SDK and by plain HTTP. */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../../emulators/core/faults.js';
import { startStripe, type RunningStripe } from '../../../emulators/stripe/index.js';
import { startReceiver } from '../../support/webhook-receiver.js';

let emu: RunningStripe;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startStripe({ seed: 7, ratePerSecond: 10_000 });
  stripe = new Stripe(emu.secretKey, { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
});
afterAll(() => emu.close());

describe('Stripe emulator', () => {
  it('refuses a missing or wrong API key with Stripe’s 401', async () => {
    const wrong = new Stripe('sk_test_wrong_key_123456', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
    const error = await wrong.customers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((error as Stripe.errors.StripeError).message).toMatch(/^Invalid API Key provided: sk_test_\*+3456$/);
    const anonymous = await fetch(`${emu.url}/v1/customers`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('creates, reads, updates and pages through customers newest first', async () => {
    const created: string[] = [];
    for (let i = 0; i < 23; i++) created.push((await stripe.customers.create({ email: `p${i}@example.com`, name: `Page ${i}`, metadata: { n: String(i) } })).id);
    const first = await stripe.customers.list({ limit: 10 });
    expect(first.has_more).toBe(true);
    expect(first.data[0]!.id).toBe(created[22]);
    const all: string[] = [];
    for await (const c of stripe.customers.list({ limit: 10 })) all.push(c.id);
    expect(all.slice(0, 23)).toEqual([...created].reverse());

    const updated = await stripe.customers.update(created[0]!, { metadata: { ferry: 'yes' } });
    expect(updated.metadata).toEqual({ n: '0', ferry: 'yes' });
    expect((await stripe.customers.retrieve(created[0]!)) as Stripe.Customer).toMatchObject({ email: 'p0@example.com', metadata: { ferry: 'yes' } });
    const found = await stripe.customers.search({ query: "metadata['ferry']:'yes'" });
    expect(found.data.map((c) => c.id)).toEqual([created[0]]);
  });

  it('answers unknown parameters and missing objects with Stripe’s errors', async () => {
    const unknown = await stripe.customers.create({ colour: 'red' } as Stripe.CustomerCreateParams).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(unknown).toMatchObject({ message: 'Received unknown parameter: colour', param: 'colour', statusCode: 400 });
    const missing = await stripe.customers.retrieve('cus_nope').catch((e: unknown) => e);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', message: "No such customer: 'cus_nope'" });
  });

  it('replays an idempotent request and refuses the same key with other parameters', async () => {
    const first = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'ferry-key-1' });
    const again = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'ferry-key-1' });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(again.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId);
    expect(again.lastResponse.requestId).not.toBe(first.lastResponse.requestId);
    const clash = await stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: 'ferry-key-1' }).catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('saves nothing for a request refused by parameter validation: the corrected request runs under the same key', async () => {
    const invalid = await stripe.customers.create({ email: 'fixed@example.com', colour: 'red' } as Stripe.CustomerCreateParams, { idempotencyKey: 'ferry-key-2' }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ statusCode: 400, param: 'colour' });
    const corrected = await stripe.customers.create({ email: 'fixed@example.com' }, { idempotencyKey: 'ferry-key-2' });
    expect(corrected.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(corrected.email).toBe('fixed@example.com');
  });

  it('saves an error the endpoint itself answered, and replays it for the key', async () => {
    const customer = await stripe.customers.create({ email: 'late@example.com' });
    const invoice = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 30 });
    // A draft cannot be sent: the endpoint ran and said so.
    const refused = await stripe.invoices.sendInvoice(invoice.id!, {}, { idempotencyKey: 'ferry-key-3' }).catch((e: unknown) => e);
    const replayed = await stripe.invoices.sendInvoice(invoice.id!, {}, { idempotencyKey: 'ferry-key-3' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 400, code: 'invoice_not_editable' });
    expect(replayed).toMatchObject({ statusCode: 400, code: 'invoice_not_editable', headers: { 'idempotent-replayed': 'true', 'original-request': (refused as Stripe.errors.StripeError).requestId } });
  });

  it('saves a 500 that happened while a keyed request ran, and replays it for that key; another key runs', async () => {
    emu.server.setFaults({ ...NO_FAULTS, serverError: 1 });
    const failed = await stripe.customers.create({ email: 'five-hundred@example.com' }, { idempotencyKey: 'ferry-key-4' }).catch((e: unknown) => e);
    emu.server.setFaults(NO_FAULTS);
    expect(failed).toMatchObject({ statusCode: 500, type: 'StripeAPIError' });
    const again = await stripe.customers.create({ email: 'five-hundred@example.com' }, { idempotencyKey: 'ferry-key-4' }).catch((e: unknown) => e);
    expect(again).toMatchObject({ statusCode: 500, headers: { 'idempotent-replayed': 'true', 'original-request': (failed as Stripe.errors.StripeError).requestId } });
    const next = await stripe.customers.create({ email: 'five-hundred@example.com' }, { idempotencyKey: 'ferry-key-4:2' });
    expect(next.email).toBe('five-hundred@example.com');
  });

  it('runs an invoice from draft to paid: items, totals, number, payment, charge and fee', async () => {
    const product = await stripe.products.create({ name: 'Widget' });
    const price = await stripe.prices.create({ product: product.id, unit_amount: 1999, currency: 'usd' });
    const customer = await stripe.customers.create({ email: 'buyer@example.com', name: 'Buyer Ltd' });
    const draft = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 30, metadata: { deal: '42' } });
    expect(draft).toMatchObject({ status: 'draft', total: 0, due_date: draft.created + 30 * 86_400 });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, pricing: { price: price.id }, quantity: 3 });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 500, currency: 'usd', description: 'Shipping' });

    const open = await stripe.invoices.finalizeInvoice(draft.id);
    expect(open).toMatchObject({ status: 'open', total: 6497, amount_due: 6497, amount_remaining: 6497 });
    expect(open.number).toMatch(/^[A-Z0-9]{7}-0001$/);
    expect((await stripe.invoices.listLineItems(draft.id)).data.map((l) => l.amount).sort()).toEqual([500, 5997]);
    await stripe.invoices.sendInvoice(draft.id);
    const late = await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 1, currency: 'usd' }).catch((e: unknown) => e);
    expect(late).toMatchObject({ statusCode: 400, code: 'invoice_not_editable' });

    const paid = await stripe.invoices.pay(draft.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 6497, amount_remaining: 0 });
    const [payment] = (await stripe.invoicePayments.list({ invoice: draft.id })).data;
    expect(payment).toMatchObject({ amount_paid: 6497, status: 'paid', payment: { type: 'payment_intent' } });
    const intentId = payment!.payment.payment_intent as string;
    const [charge] = (await stripe.charges.list({ payment_intent: intentId })).data;
    expect(charge).toMatchObject({ amount: 6497, paid: true, status: 'succeeded', customer: customer.id });
    const fee = await stripe.balanceTransactions.retrieve(charge!.balance_transaction as string);
    expect(fee).toMatchObject({ amount: 6497, fee: Math.round(6497 * 0.029) + 30, net: 6497 - (Math.round(6497 * 0.029) + 30), type: 'charge' });
  });

  it('declines test cards as Stripe does and refunds charges in part, never beyond', async () => {
    const declined = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true }).catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });

    const intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    expect(intent.status).toBe('succeeded');
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 500 });
    expect(refund).toMatchObject({ amount: 500, status: 'succeeded' });
    const tooMuch = await stripe.refunds.create({ payment_intent: intent.id, amount: 1600 }).catch((e: unknown) => e);
    expect(tooMuch).toMatchObject({ statusCode: 400, code: 'amount_too_large' });
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({ amount_refunded: 500, refunded: false });
  });

  it('expands ids into objects on retrieve and in lists', async () => {
    const customer = await stripe.customers.create({ email: 'expand@example.com' });
    const intent = await stripe.paymentIntents.create({ amount: 900, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true });
    const expanded = await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge', 'customer'] });
    expect(expanded.latest_charge).toMatchObject({ object: 'charge', amount: 900 });
    expect(expanded.customer).toMatchObject({ object: 'customer', email: 'expand@example.com' });
    const page = await stripe.charges.list({ payment_intent: intent.id, expand: ['data.balance_transaction'] });
    expect(page.data[0]!.balance_transaction).toMatchObject({ object: 'balance_transaction', amount: 900 });
    expect((await stripe.paymentIntents.retrieve(intent.id)).latest_charge).toMatch(/^ch_/);
  });

  it('lets a price change its nickname and active flag, and nothing else', async () => {
    const product = await stripe.products.create({ name: 'Priced' });
    const price = await stripe.prices.create({ product: product.id, unit_amount: 500, currency: 'usd' });
    expect(await stripe.prices.update(price.id, { nickname: 'Launch', active: false })).toMatchObject({ nickname: 'Launch', active: false, unit_amount: 500 });
    const amount = await stripe.prices.update(price.id, { unit_amount: 600 } as Stripe.PriceUpdateParams).catch((e: unknown) => e);
    expect(amount).toMatchObject({ statusCode: 400, param: 'unit_amount' });
  });

  it('filters lists by created time', async () => {
    const before = (await stripe.customers.create({ email: 'time@example.com' })).created;
    const list = await stripe.customers.list({ created: { gte: before }, limit: 100 });
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data.every((c) => c.created >= before)).toBe(true);
  });

  it('injects faults on demand through the admin endpoint', async () => {
    await fetch(`${emu.url}/__admin/faults`, { method: 'PUT', body: JSON.stringify({ serverError: 1 }) });
    const error = await stripe.customers.list().catch((e: unknown) => e);
    await fetch(`${emu.url}/__admin/faults`, { method: 'PUT', body: JSON.stringify({}) });
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await stripe.customers.list({ limit: 1 })).data).toHaveLength(1);
  });

  it('signs webhooks so that stripe.webhooks.constructEvent accepts them, and rejects forgeries and stale ones', async () => {
    const receiver = await startReceiver();
    const secret = 'whsec_emulator_test';
    await fetch(`${emu.url}/__admin/webhooks`, { method: 'POST', body: JSON.stringify({ url: receiver.url, secret }) });
    const customer = await stripe.customers.create({ email: 'hook@example.com' });
    await emu.emulator.settled();
    await receiver.close();

    const found = receiver.received.find((r) => r.body.includes(customer.id))!;
    const delivery = { body: found.body, signature: String(found.headers['stripe-signature']) };
    const event = stripe.webhooks.constructEvent(delivery.body, delivery.signature, secret);
    expect(event).toMatchObject({ type: 'customer.created', data: { object: { id: customer.id } } });
    expect(() => stripe.webhooks.constructEvent(delivery.body, delivery.signature, 'whsec_wrong')).toThrow(Stripe.errors.StripeSignatureVerificationError);
    const stale = stripe.webhooks.generateTestHeaderString({ payload: delivery.body, secret, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(() => stripe.webhooks.constructEvent(delivery.body, stale, secret)).toThrow(/timestamp outside the tolerance zone/i);
  });
});

describe('Stripe emulator rate limit', () => {
  it('holds 25 requests per second in test mode under a burst of 1,000 concurrent requests', async () => {
    const limited = await startStripe({ seed: 3 });
    try {
      const started = Date.now();
      const statuses = await Promise.all(
        Array.from({ length: 1_000 }, () => fetch(`${limited.url}/v1/customers?limit=1`, { headers: { authorization: `Bearer ${limited.secretKey}` } }).then((r) => r.status)),
      );
      const seconds = (Date.now() - started) / 1000;
      const ok = statuses.filter((s) => s === 200).length;
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      // Every accepted request sits in some one-second window holding at most 25.
      const accepted = limited.server.log.filter((e) => e.status === 200).map((e) => e.at);
      for (const at of accepted) expect(accepted.filter((t) => t > at - 1000 && t <= at).length).toBeLessThanOrEqual(25);
      expect(ok).toBeGreaterThanOrEqual(25);
      expect(ok).toBeLessThanOrEqual(Math.ceil(25 * (Math.ceil(seconds) + 1) * 1.05));
      const body = await fetch(`${limited.url}/v1/customers`, { headers: { authorization: `Bearer ${limited.secretKey}` } });
      if (body.status === 429) expect(((await body.json()) as { error: { code: string } }).error.code).toBe('rate_limit');
    } finally {
      await limited.close();
    }
  });
});
