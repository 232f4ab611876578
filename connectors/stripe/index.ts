/** Stripe API v1 on the official `stripe` SDK. See README.md beside this file. */
import type { ConnectorDeclaration } from '../../src/connector/types.js';
import { TIMEOUT_MS } from '../shared/options.js';
import { stripeAdminUrl, stripeLabel } from './admin.js';
import { stripeWebhook } from './webhook.js';
import type { StripeClient } from './client.js';
import { completeInvoiceLines, completePaymentInvoices, locateCustomer, locateInvoice, stripeEntity, writeCustomer, writeInvoice } from './entities.js';

const invoiceSchema = {
  type: 'object',
  required: ['customer', 'lines'],
  properties: {
    customer: { type: 'string', pattern: '^cus_' },
    collection_method: { enum: ['send_invoice', 'charge_automatically'] },
    days_until_due: { type: 'integer', minimum: 0 },
    lines: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { price: { type: 'string' }, lookup_key: { type: 'string', minLength: 1 }, unit_amount: { type: 'integer', minimum: 0 }, amount: { type: 'integer' }, quantity: { type: 'integer', minimum: 1 }, description: { type: 'string' } },
        anyOf: [{ required: ['price'] }, { required: ['lookup_key'] }, { required: ['amount'] }],
      },
    },
  },
};

export const stripe: ConnectorDeclaration<StripeClient> = {
  name: 'stripe',
  description: 'Stripe API v1',
  // The SDK is loaded when a connection is opened, so commands that only read flows start at once.
  open: async (settings, context) => new (await import('./client.js')).StripeClient(settings, context),
  requestCount: (client) => client.requests,
  check: async (...args) => (await import('./check.js')).checkStripe(...args),
  webhook: stripeWebhook,
  options: {
    secret_key: { type: 'string', secret: true, description: 'A secret or restricted API key (sk_… or rk_…); its prefix says test or live mode.' },
    requests_per_second: { type: 'number', description: "Requests a second (Stripe's documented 25 in test mode, 100 live)." },
    timeout_ms: TIMEOUT_MS,
  },
  label: stripeLabel,
  adminUrl: stripeAdminUrl,
  entities: {
    customers: { ...stripeEntity({ resource: 'customers', object: 'customer', description: 'customers', write: writeCustomer, locate: locateCustomer, matchFields: ['email'] }), schema: { type: 'object', properties: { email: { type: 'string', format: 'email' }, name: { type: 'string' } } } },
    products: stripeEntity({ resource: 'products', object: 'product', description: 'products' }),
    prices: stripeEntity({ resource: 'prices', object: 'price', description: 'prices (lookup_key carries the SKU)' }),
    invoices: { ...stripeEntity({ resource: 'invoices', object: 'invoice', description: 'invoices, with all their lines: written as draft + items, finalized and sent', write: writeInvoice, locate: locateInvoice, complete: completeInvoiceLines }), schema: invoiceSchema },
    payment_intents: stripeEntity({ resource: 'paymentIntents', object: 'payment_intent', description: 'payment intents, each with the invoice it paid (`invoice`, `invoice_matched_by`)', complete: completePaymentInvoices }),
    charges: stripeEntity({ resource: 'charges', object: 'charge', description: 'charges' }),
    refunds: stripeEntity({ resource: 'refunds', object: 'refund', description: 'refunds' }),
  },
};
