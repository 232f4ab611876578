/** `ferry trace`: lineage through "became" and "refers to" links, both ways, without wandering into siblings. */
import { describe, expect, it } from 'vitest';
import { registry } from '../../connectors/registry.js';
import { buildTrace, normalizeKey, renderTrace, type TraceNode } from '../../src/report/trace.js';
import { CUSTOMERS_FLOW, customers, flowsFrom, Harness, ORDERS_FLOW } from '../support/harness.js';

function keys(node: TraceNode): string[] {
  return [`${node.link?.kind ?? 'start'} ${node.key}`, ...node.children.flatMap(keys)];
}

describe('trace', () => {
  it('follows an order to its customer and invoice, and an invoice back to its order, but not to sibling orders', async () => {
    const h = new Harness();
    const flows = flowsFrom(CUSTOMERS_FLOW, ORDERS_FLOW);
    h.addSource('customers', customers(2));
    h.addSource('orders', [
      { id: 'o1', name: 'Order 1', customer_id: 1, updated_at: '2026-10-01T00:00:00Z' },
      { id: 'o2', name: 'Order 2', customer_id: 1, updated_at: '2026-10-01T00:00:01Z' },
    ]);
    await h.run(flows.get('customers')!);
    await h.run(flows.get('orders')!);
    const all = [...flows.values()];

    const fromOrder = await buildTrace(h.ledger, all, 'memory/orders/o1');
    expect(keys(fromOrder).sort()).toEqual(['became memory/invoices/1', 'became memory/accounts/1', 'refers to memory/customers/1', 'start memory/orders/o1'].sort());
    expect(fromOrder.states).toEqual([expect.objectContaining({ flow: 'orders', status: 'synced', targetId: '1' })]);

    // From the customer downwards: both orders refer to it.
    const fromCustomer = await buildTrace(h.ledger, all, 'memory/customers/1');
    expect(keys(fromCustomer)).toEqual(expect.arrayContaining(['referred to by memory/orders/o1', 'referred to by memory/orders/o2', 'became memory/accounts/1']));

    // From the invoice: back to its order, up to the customer; o2 (a sibling through the customer) is not part of it.
    const fromInvoice = await buildTrace(h.ledger, all, 'memory/invoices/1');
    expect(keys(fromInvoice)).toContain('became from memory/orders/o1');
    expect(keys(fromInvoice)).toContain('refers to memory/customers/1');
    expect(keys(fromInvoice).join()).not.toContain('o2');
    expect(renderTrace(fromInvoice)).toMatch(/^memory\/invoices\/1\n└─ became from memory\/orders\/o1 {2}via orders at /);
  });

  it('shows where a record stands even when it never arrived', async () => {
    const h = new Harness();
    const flows = flowsFrom(CUSTOMERS_FLOW, ORDERS_FLOW);
    h.addSource('orders', [{ id: 'o9', name: 'Order 9', customer_id: 7, updated_at: '2026-10-01T00:00:00Z' }]);
    await h.run(flows.get('orders')!);
    const trace = await buildTrace(h.ledger, [...flows.values()], 'memory/orders/o9');
    expect(trace.children).toEqual([]);
    expect(renderTrace(trace)).toBe('memory/orders/o9   [orders: waiting (waiting for customers record 7 to sync)]');
  });

  it('accepts singular and loosely written entity names, and names the choices when it cannot', () => {
    expect(normalizeKey('quickbooks/payment/88', registry)).toBe('quickbooks/payments/88');
    expect(normalizeKey('QuickBooks/SalesReceipt/5', registry)).toBe('quickbooks/sales_receipts/5');
    expect(normalizeKey('hubspot/deal/123', registry)).toBe('hubspot/deals/123');
    expect(() => normalizeKey('quickbooks/widget/1', registry)).toThrow(/no entity 'widget' \(entities: .*invoices/);
    expect(() => normalizeKey('shopify/1001', registry)).toThrow(/SYSTEM\/ENTITY\/ID/);
  });
});
