/** Stripe records as people know them (invoice ABC-0001), and their pages in the Stripe Dashboard. */
import type { ConnectionSettings, JsonObject } from '../../src/connector/types.js';
import { firstValue } from '../shared/labels.js';

const LABELS: Record<string, readonly string[]> = { customers: ['name', 'email'], invoices: ['number'], products: ['name'], payment_intents: ['description'], charges: ['description'] };
const PAGES: Record<string, string> = { customers: 'customers', invoices: 'invoices', products: 'products', payment_intents: 'payments', charges: 'payments', prices: 'prices', refunds: 'refunds' };

export function stripeLabel(entity: string, record: JsonObject): string | undefined {
  return firstValue(record, LABELS[entity] ?? []);
}

/** https://dashboard.stripe.com/[test/]invoices/in_…: a test-mode key's records open in test mode (only the key's prefix is read). */
export function stripeAdminUrl(settings: ConnectionSettings, entity: string, id: string): string | undefined {
  const page = PAGES[entity];
  if (!page) return undefined;
  const live = /^[sr]k_live_/.test(String(settings.options.secret_key ?? ''));
  return `https://dashboard.stripe.com/${live ? '' : 'test/'}${page}/${encodeURIComponent(id)}`;
}
