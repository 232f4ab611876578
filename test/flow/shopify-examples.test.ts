/**
 * Every shipped Shopify flow on records shaped exactly like Shopify's 2026-07 example payloads
 * (`../shared/api-specs/shopify/webhooks-unofficial/examples`): an order on payment terms, one paid at
 * checkout, a payment captured later, and refunds of each. Each record must be taken by the flow meant
 * for it and left by the others, and map without an error; no flow may read a field Shopify removed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../connectors/registry.js';
import type { JsonObject } from '../../src/connector/types.js';
import { listFlowFiles, loadFlowFiles } from '../../src/flow/load.js';
import { ferryFunctions } from '../../src/mapping/functions.js';
import { targetSchemaValidator } from '../../src/validation/target-schema.js';

const FLOWS = resolve(import.meta.dirname, '../../flows');
const EXAMPLES = resolve(import.meta.dirname, '../../../shared/api-specs/shopify/webhooks-unofficial/examples');
const example = (topic: string) => (JSON.parse(readFileSync(resolve(EXAMPLES, `${topic}.json`), 'utf8')) as { response: JsonObject }).response;

const base = example('orders__create');
const terms = { id: 9001, payment_terms_name: 'Net 30', payment_terms_type: 'NET', due_in_days: 30 };
const onTerms: JsonObject = { ...base, financial_status: 'pending', cancelled_at: null, cancel_reason: null, payment_terms: terms, payment_gateway_names: [] };
const paid: JsonObject = { ...base, financial_status: 'paid', cancelled_at: null, cancel_reason: null, payment_terms: null };
const summary = (order: JsonObject) => ({ id: order.id, name: order.name, payment_terms: order.payment_terms, financial_status: order.financial_status, currency: order.currency, total_price: order.total_price, customer_id: (order.customer as JsonObject).id, email: order.email, updated_at: order.updated_at });
const capture: JsonObject = { ...example('order_transactions__create'), kind: 'capture', status: 'success', order: summary(onTerms) };
const sale: JsonObject = { ...capture, kind: 'sale', order: summary(paid) };
const refund = example('refunds__create');
const refundOf = (order: JsonObject): JsonObject => ({ ...refund, refund_shipping_lines: [], total_refunded: '109.98', number_in_order: 1, order: summary(order) });

const RECORDS: Record<string, JsonObject> = { 'order on terms': onTerms, 'order paid at checkout': paid, 'example as shown (cancelled)': base, 'payment captured on terms': capture, 'sale at checkout': sale, 'refund on terms': refundOf(onTerms), 'refund paid at checkout': refundOf(paid) };
const TAKES: Record<string, string[]> = {
  'shopify-orders-to-quickbooks-invoices': ['order on terms'],
  'shopify-orders-to-quickbooks-sales-receipts': ['order paid at checkout'],
  'shopify-payments-to-quickbooks': ['payment captured on terms'],
  'shopify-refunds-to-quickbooks-credit-memos': ['refund on terms'],
  'shopify-refunds-to-quickbooks-refund-receipts': ['refund paid at checkout'],
};
const ENTITY: Record<string, string[]> = { orders: ['order on terms', 'order paid at checkout', 'example as shown (cancelled)'], transactions: ['payment captured on terms', 'sale at checkout'], refunds: ['refund on terms', 'refund paid at checkout'] };

describe("shipped Shopify flows on Shopify's 2026-07 example payloads", () => {
  const { flows, diagnostics } = loadFlowFiles(listFlowFiles(FLOWS), registry);
  // `$ref` is bound by the run, against the target; here every named list record is 'QB-REF'.
  const bindings = { ...ferryFunctions({ target: () => 'QB-1', source: () => 'S-1' }), ref: () => 'QB-REF' };

  it('load', () => expect(diagnostics).toEqual([]));

  for (const [name, wanted] of Object.entries(TAKES)) {
    it(`${name} takes ${wanted.join(', ')} and nothing else, and maps it`, async () => {
      const flow = flows.find((f) => f.name === name)!;
      const candidates = ENTITY[flow.source.entity]!;
      const taken: string[] = [];
      for (const label of candidates) if ((await flow.source.filter!.evaluate(RECORDS[label]!, bindings)) === true) taken.push(label);
      expect(taken).toEqual(wanted);
      const payload = await flow.mapping.evaluate(RECORDS[wanted[0]!]!, bindings);
      expect(payload).toHaveProperty('Line');
      expect((payload.Line as JsonObject[]).length).toBeGreaterThan(0);
      // What QuickBooks would refuse (a DocNumber over 21 characters, …) is caught here, not at a store.
      expect(targetSchemaValidator(registry.get(flow.target.connector)!.entities[flow.target.entity]!.schema!)(payload)).toEqual([]);
    });
  }

  it('a guest checkout (no customer) books a sales receipt and its refund receipt without a customer, not an empty CustomerRef', async () => {
    const guest: JsonObject = { ...paid, customer: null };
    for (const [name, record] of [
      ['shopify-orders-to-quickbooks-sales-receipts', guest],
      ['shopify-refunds-to-quickbooks-refund-receipts', { ...refundOf(paid), order: { ...summary(paid), customer_id: null } }],
    ] as const) {
      const flow = flows.find((f) => f.name === name)!;
      const payload = await flow.mapping.evaluate(record, bindings);
      expect(payload, name).not.toHaveProperty('CustomerRef');
      expect(targetSchemaValidator(registry.get(flow.target.connector)!.entities[flow.target.entity]!.schema!)(payload), name).toEqual([]);
    }
  });

  it('no shipped flow reads a field Shopify removed from 2026-07 orders', () => {
    for (const file of listFlowFiles(FLOWS)) expect(readFileSync(file, 'utf8'), file).not.toMatch(/\bgateway\b|processing_method/);
  });
});
