/** The sync-info report's hints: each record needing attention names the command that resolves it. */
import { describe, expect, it } from 'vitest';
import { buildSyncInfo } from '../../src/report/sync-info.js';
import { customers, flowsFrom, Harness, CUSTOMERS_FLOW, ORDERS_FLOW } from '../support/harness.js';

describe('sync-info hints', () => {
  it("a waiting record names its parent's state and the command that resolves the parent, not a resend of itself", async () => {
    const h = new Harness();
    const flows = flowsFrom(CUSTOMERS_FLOW, ORDERS_FLOW);
    h.addSource('customers', [...customers(1, 1, { vip: true }), ...customers(1, 2)]);
    h.addSource('orders', [
      { id: 'o1', name: 'Order 1', customer_id: 1, updated_at: '2026-10-02T00:00:00Z' },
      { id: 'o2', name: 'Order 2', customer_id: 2, updated_at: '2026-10-02T00:00:01Z' },
      { id: 'o3', name: 'Order 3', customer_id: 77, updated_at: '2026-10-02T00:00:02Z' },
    ]);
    await h.run(flows.get('customers')!);
    await h.run(flows.get('orders')!);
    const info = await buildSyncInfo(h.ledger, [...flows.values()]);
    const waiting = info.flows.find((f) => f.name === 'orders')!.failures;
    expect(waiting.map((w) => [w.sourceId, w.status, w.reason, w.resyncCommand])).toEqual([
      ['o1', 'waiting', 'waiting for customers record 1 to sync; it is held (vip-hold: needs approval)', 'ferry approve customers 1'],
      ['o3', 'waiting', 'waiting for customers record 77 to sync; it has not synced yet', 'ferry run customers'],
    ]);
  });
});
