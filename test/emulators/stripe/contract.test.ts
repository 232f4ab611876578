/**
 * Contract: every object the Stripe emulator returns has exactly the top-level fields of Stripe's own
 * fixture of that object (fixtures3.json, read from ../shared/api-specs when the test runs), and each
 * field has the fixture's JSON type wherever both are non-null.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripe, type RunningStripe } from '../../../emulators/stripe/index.js';

const FIXTURES = resolve(import.meta.dirname, '../../../../shared/api-specs/stripe/fixtures3.json');
const available = existsSync(FIXTURES);
type Json = Record<string, unknown>;

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function mismatches(actual: Json, fixture: Json): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(fixture)) if (!(key in actual)) problems.push(`missing field '${key}'`);
  for (const key of Object.keys(actual)) {
    if (!(key in fixture)) {
      problems.push(`field '${key}' is not in Stripe's fixture`);
      continue;
    }
    const [a, f] = [jsonType(actual[key]), jsonType(fixture[key])];
    // Expandable references are ids (strings) unless expanded; fixtures sometimes show them expanded.
    const expandable = a === 'string' && f === 'object';
    if (a !== 'null' && f !== 'null' && a !== f && !expandable) problems.push(`field '${key}' is ${a}, Stripe's fixture has ${f}`);
  }
  return problems;
}

describe.skipIf(!available)(`Stripe emulator against Stripe's fixtures (${FIXTURES})`, () => {
  let emu: RunningStripe;
  let stripe: Stripe;
  const objects = new Map<string, Json>();
  let fixtures: Record<string, Json>;

  beforeAll(async () => {
    fixtures = (JSON.parse(readFileSync(FIXTURES, 'utf8')) as { resources: Record<string, Json> }).resources;
    emu = await startStripe({ seed: 11, ratePerSecond: 10_000 });
    stripe = new Stripe(emu.secretKey, { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
    const customer = await stripe.customers.create({ email: 'c@example.com' });
    const product = await stripe.products.create({ name: 'P' });
    const price = await stripe.prices.create({ product: product.id, unit_amount: 100, currency: 'usd' });
    const invoice = await stripe.invoices.create({ customer: customer.id });
    const item = await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, pricing: { price: price.id } });
    const paid = await stripe.invoices.pay(invoice.id);
    const [payment] = (await stripe.invoicePayments.list({ invoice: invoice.id })).data;
    const intent = await stripe.paymentIntents.retrieve(payment!.payment.payment_intent as string);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string);
    const refund = await stripe.refunds.create({ charge: charge.id, amount: 10 });
    const transaction = await stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
    const [event] = (await stripe.events.list({ limit: 1 })).data;
    // Raw JSON over HTTP, not the SDK's objects: the SDK turns decimal strings into Decimal instances.
    const raw = async (path: string) => (await (await fetch(`${emu.url}${path}`, { headers: { authorization: `Bearer ${emu.secretKey}` } })).json()) as Json;
    const first = async (path: string) => ((await raw(path)).data as Json[])[0]!;
    objects.set('customer', await raw(`/v1/customers/${customer.id}`));
    objects.set('product', await raw(`/v1/products/${product.id}`));
    objects.set('price', await raw(`/v1/prices/${price.id}`));
    objects.set('invoiceitem', await raw(`/v1/invoiceitems/${item.id}`));
    objects.set('invoice', await raw(`/v1/invoices/${paid.id}`));
    objects.set('line_item', await first(`/v1/invoices/${invoice.id}/lines`));
    objects.set('invoice_payment', await first(`/v1/invoice_payments?invoice=${invoice.id}`));
    objects.set('payment_intent', await raw(`/v1/payment_intents/${intent.id}`));
    objects.set('charge', await raw(`/v1/charges/${charge.id}`));
    objects.set('refund', await raw(`/v1/refunds/${refund.id}`));
    objects.set('balance_transaction', await raw(`/v1/balance_transactions/${transaction.id}`));
    objects.set('event', await raw(`/v1/events/${event!.id}`));
  });
  afterAll(() => emu?.close());

  for (const type of ['customer', 'product', 'price', 'invoiceitem', 'invoice', 'line_item', 'invoice_payment', 'payment_intent', 'charge', 'refund', 'balance_transaction', 'event']) {
    it(`a ${type} has the fields and types of Stripe's fixture`, () => {
      const actual = objects.get(type)!;
      expect(actual.object).toBe(type);
      expect(mismatches(actual, fixtures[type]!)).toEqual([]);
    });
  }
});
