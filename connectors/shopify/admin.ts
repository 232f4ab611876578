/** Shopify records as a merchant knows them (order #1001), and their pages in the Shopify admin. */
import type { ConnectionSettings, JsonObject } from '../../src/connector/types.js';
import { firstValue } from '../shared/labels.js';

const LABELS: Record<string, readonly string[]> = { orders: ['name'], customers: ['email'], products: ['title'], transactions: ['order.name'], refunds: ['order.name'] };
const SUFFIX: Record<string, string> = { transactions: ' payment', refunds: ' refund' };

export function shopifyLabel(entity: string, record: JsonObject): string | undefined {
  const name = entity === 'customers' ? [record.first_name, record.last_name].filter(Boolean).join(' ') : '';
  return name || firstValue(record, LABELS[entity] ?? [], SUFFIX[entity]);
}

/** https://admin.shopify.com/store/{handle}/orders/{id}; a payment or refund opens its order. */
export function shopifyAdminUrl(settings: ConnectionSettings, entity: string, id: string, record?: JsonObject): string | undefined {
  const handle = String(settings.options.shop ?? '').replace(/\.myshopify\.com$/, '');
  if (!handle) return undefined;
  const base = `https://admin.shopify.com/store/${encodeURIComponent(handle)}`;
  if (entity === 'orders' || entity === 'customers' || entity === 'products') return `${base}/${entity}/${encodeURIComponent(id)}`;
  const orderId = record?.order_id ?? (record?.order as JsonObject | undefined)?.id;
  return (entity === 'transactions' || entity === 'refunds') && orderId ? `${base}/orders/${encodeURIComponent(String(orderId))}` : undefined;
}
