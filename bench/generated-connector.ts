/**
 * A connector for benchmarks: the source generates orders on demand (nothing held in memory) and the
 * target only counts what it is sent, so the figures measure Ferry, not the test double.
 */
import type { ConnectorDeclaration, JsonObject, ReadPage, WriteItem, WriteResult } from '../src/connector/types.js';

export interface GeneratedSource {
  records: number;
  pageSize: number;
  writes: number;
  /** Changes every record's content, to measure updates. */
  revision: number;
}

export function generatedOrder(i: number, revision = 0): JsonObject {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  return {
    id: i,
    name: `#${1000 + i}`,
    email: `buyer${i % 5000}@example.com`,
    currency: 'USD',
    created_at: at,
    updated_at: at,
    financial_status: i % 10 === 0 ? 'pending' : 'paid',
    note: revision ? `revision ${revision}` : null,
    customer: { id: 1 + (i % 5000), first_name: 'Ada', last_name: `Buyer${i % 5000}` },
    line_items: [
      { sku: `SKU-${i % 50}`, price: '19.99', quantity: 1 + (i % 3) },
      { sku: `SKU-${(i + 7) % 50}`, price: '5.25', quantity: 2 },
    ],
    total_tax: '1.65',
  };
}

export function generatedConnector(state: GeneratedSource): ConnectorDeclaration<GeneratedSource> {
  return {
    name: 'generated',
    description: 'generated orders and a counting sink',
    open: () => state,
    entities: {
      orders: {
        description: 'generated orders',
        key: (r) => String(r.id),
        updatedAt: (r) => String(r.updated_at),
        orderedByUpdatedAt: true,
        async *read(client): AsyncIterable<ReadPage> {
          for (let start = 0; start < client.records; start += client.pageSize) {
            const end = Math.min(client.records, start + client.pageSize);
            const records: JsonObject[] = [];
            for (let i = start; i < end; i++) records.push(generatedOrder(i, client.revision));
            yield { records };
          }
        },
      },
      invoices: {
        description: 'counting sink',
        key: (r) => String(r.id),
        batchSize: 100,
        concurrency: 2,
        schema: {
          type: 'object',
          required: ['DocNumber', 'Line', 'TotalAmt'],
          properties: {
            DocNumber: { type: 'string', maxLength: 21 },
            CustomerRef: { type: 'object', required: ['value'], properties: { value: { type: 'string' } } },
            Line: {
              type: 'array',
              minItems: 1,
              items: { type: 'object', required: ['Amount', 'DetailType'], properties: { Amount: { type: 'number', minimum: 0 }, DetailType: { type: 'string' } } },
            },
            TotalAmt: { type: 'number', minimum: 0 },
          },
        },
        async write(client, items: WriteItem[]): Promise<WriteResult[]> {
          return items.map((item) => {
            client.writes++;
            return { ok: true, targetId: `inv-${item.sourceId}`, action: item.targetId ? 'updated' : 'created' };
          });
        },
      },
    },
  };
}

/** A customer-style mapping: plain fields, one nested object, one money helper. */
export const SIMPLE_FLOW = `
name: bench-simple
source: { connector: generated, entity: orders }
target: { connector: generated, entity: invoices }
mapping:
  DocNumber: name
  BillEmail: { Address: email }
  CurrencyRef: { value: currency }
  PrivateNote: financial_status
  CustomerRef: { value: customer.last_name }
  Line: "[{ 'DetailType': 'SalesItemLineDetail', 'Amount': $money(total_tax) }]"
  TotalAmt: $money(total_tax)
retry: { attempts: 3, initial_delay: 10ms, max_delay: 100ms }
`;

/** An order → invoice mapping with line items and exact money sums: JSONata does real work here. */
export const ORDERS_FLOW = `
name: bench-orders
source: { connector: generated, entity: orders }
target: { connector: generated, entity: invoices }
mapping:
  DocNumber: name
  TxnDate: $date(created_at)
  CurrencyRef: { value: currency }
  BillEmail: { Address: email }
  CustomerMemo: { value: note }
  Line: "[line_items.{ 'DetailType': 'SalesItemLineDetail', 'Amount': $mulMoney(price, quantity), 'SalesItemLineDetail': { 'ItemRef': { 'name': sku }, 'Qty': quantity, 'UnitPrice': $money(price) } }]"
  TotalAmt: "$addMoney($sumMoney(line_items.($mulMoney(price, quantity))), total_tax)"
retry: { attempts: 3, initial_delay: 10ms, max_delay: 100ms }
`;
