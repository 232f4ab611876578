/**
 * Contract: every Shopify object the emulator returns matches the interface `shopify-api-node` declares
 * for it (node_modules/shopify-api-node/types/index.d.ts, read with the TypeScript compiler at test time).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopify, type RunningShopify } from '../../../emulators/shopify/index.js';
import { DeclaredTypes } from '../../support/ts-declarations.js';

const TYPES = resolve(import.meta.dirname, '../../../node_modules/shopify-api-node/types/index.d.ts');

describe("Shopify emulator against shopify-api-node's declared types", () => {
  let emu: RunningShopify;
  const declared = new DeclaredTypes(TYPES);
  const objects = new Map<string, unknown>();

  beforeAll(async () => {
    emu = await startShopify({ seed: 8, bucketSize: 10_000, leakPerSecond: 10_000 });
    const call = async (method: string, path: string, body?: object) => {
      const response = await fetch(`${emu.url}/admin/api/2026-07/${path}`, {
        method,
        headers: { 'x-shopify-access-token': emu.accessToken, 'content-type': 'application/json' },
        body: body && JSON.stringify(body),
      });
      return (await response.json()) as Record<string, Record<string, unknown>>;
    };
    const customer = (await call('POST', 'customers.json', { customer: { email: 'k@shop.test', first_name: 'K', last_name: 'L', addresses: [{ address1: '1 Road', city: 'Town', zip: '12345' }] } })).customer!;
    const product = (await call('POST', 'products.json', { product: { title: 'Box', variants: [{ sku: 'BOX-1', price: '9.99', inventory_quantity: 3 }] } })).product!;
    const variant = (product.variants as Record<string, unknown>[])[0]!;
    const order = (await call('POST', 'orders.json', { order: { customer: { id: customer.id }, line_items: [{ variant_id: variant.id, quantity: 2, tax_lines: [{ title: 'VAT', price: '2.00', rate: 0.1 }] }], discount_codes: [{ code: 'X', amount: '1.00' }], shipping_lines: [{ title: 'Post', price: '3.00' }], financial_status: 'pending' } })).order!;
    const transaction = (await call('POST', `orders/${String(order.id)}/transactions.json`, { transaction: { kind: 'capture', amount: '21.98' } })).transaction;
    const lineId = (order.line_items as Record<string, unknown>[])[0]!.id;
    const refund = (await call('POST', `orders/${String(order.id)}/refunds.json`, { refund: { refund_line_items: [{ line_item_id: lineId, quantity: 1, restock_type: 'return' }] } })).refund;
    const fulfillment = (await call('POST', `orders/${String(order.id)}/fulfillments.json`, { fulfillment: { tracking_number: 'T1' } })).fulfillment;
    const inventoryItem = (await call('GET', `inventory_items/${String(variant.inventory_item_id)}.json`)).inventory_item;
    const level = ((await call('GET', `inventory_levels.json?inventory_item_ids=${String(variant.inventory_item_id)}`)) as unknown as { inventory_levels: unknown[] }).inventory_levels[0];
    const location = ((await call('GET', 'locations.json')) as unknown as { locations: unknown[] }).locations[0];
    const finalOrder = (await call('GET', `orders/${String(order.id)}.json`)).order;
    Object.entries({ ICustomer: customer, IProduct: product, IProductVariant: variant, IOrder: finalOrder, ITransaction: transaction, IRefund: refund, IFulfillment: fulfillment, IInventoryItem: inventoryItem, IInventoryLevel: level, ILocation: location }).forEach(([k, v]) => objects.set(k, v));
  });
  afterAll(() => emu?.close());

  for (const name of ['ICustomer', 'IProduct', 'IProductVariant', 'IOrder', 'ITransaction', 'IRefund', 'IFulfillment', 'IInventoryItem', 'IInventoryLevel', 'ILocation']) {
    it(`${name}: every field declared, every required field present, primitives of the declared type`, () => {
      expect(objects.get(name)).toBeDefined();
      expect(declared.check(declared.type(name), objects.get(name), name)).toEqual([]);
    });
  }

  it('the checker itself notices an undeclared field, a missing one and a wrong type', () => {
    const problems = declared.check(declared.type('IInventoryLevel'), { inventory_item_id: '1', location_id: 2, updated_at: 'x', colour: 'red' }, 'level');
    expect(problems).toEqual(['level.available: required, missing', 'level.inventory_item_id: is string, declared number', 'level.colour: not declared']);
  });
});
