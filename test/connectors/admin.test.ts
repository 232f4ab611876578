import { describe, expect, it } from 'vitest';
import { registry } from '../../connectors/registry.js';
import type { ConnectionSettings } from '../../src/connector/types.js';

const settings = (connector: string, options: Record<string, unknown>, baseUrl?: string): ConnectionSettings => ({ name: connector, connector, options, baseUrl });
const url = (connector: string, options: Record<string, unknown>, entity: string, id: string, record?: Record<string, unknown>, baseUrl?: string) =>
  registry.get(connector)!.adminUrl!(settings(connector, options, baseUrl), entity, id, record);
const label = (connector: string, entity: string, record: Record<string, unknown>) => registry.get(connector)!.label!(entity, record);

describe("records as people know them, and their pages in each vendor's admin", () => {
  it('Shopify: the order by its name; a payment or a refund opens its order', () => {
    expect(label('shopify', 'orders', { id: 5, name: '#1001' })).toBe('#1001');
    expect(label('shopify', 'customers', { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' })).toBe('Ada Lovelace');
    expect(label('shopify', 'refunds', { id: 9, order: { name: '#1001' } })).toBe('#1001 refund');
    expect(url('shopify', { shop: 'acme-goods.myshopify.com' }, 'orders', '820982911946154508')).toBe('https://admin.shopify.com/store/acme-goods/orders/820982911946154508');
    expect(url('shopify', { shop: 'acme-goods' }, 'refunds', '77', { order_id: 450789469 })).toBe('https://admin.shopify.com/store/acme-goods/orders/450789469');
    expect(url('shopify', { shop: 'acme-goods' }, 'inventory_levels', '1')).toBeUndefined();
  });

  it('QuickBooks: the invoice by its number, opened in the company or the sandbox', () => {
    expect(label('quickbooks', 'invoices', { Id: '130', DocNumber: '1047' })).toBe('1047');
    expect(url('quickbooks', { realm_id: '9341' }, 'invoices', '130')).toBe('https://app.qbo.intuit.com/app/invoice?txnId=130');
    expect(url('quickbooks', { realm_id: '9341', environment: 'sandbox' }, 'payments', '88')).toBe('https://app.sandbox.qbo.intuit.com/app/recvpayment?txnId=88');
    expect(url('quickbooks', {}, 'customers', '58', undefined, 'https://sandbox-quickbooks.api.intuit.com')).toBe('https://app.sandbox.qbo.intuit.com/app/customerdetail?nameId=58');
  });

  it('Stripe: the Dashboard in the key’s mode, read from its prefix only', () => {
    expect(label('stripe', 'invoices', { id: 'in_1', number: 'ABC-0001' })).toBe('ABC-0001');
    expect(url('stripe', { secret_key: 'sk_test_xyz' }, 'payment_intents', 'pi_1')).toBe('https://dashboard.stripe.com/test/payments/pi_1');
    expect(url('stripe', { secret_key: 'rk_live_xyz' }, 'invoices', 'in_1')).toBe('https://dashboard.stripe.com/invoices/in_1');
  });

  it('HubSpot: the record page of its portal, when the portal is known', () => {
    expect(label('hubspot', 'deals', { id: '1', dealname: 'Acme renewal' })).toBe('Acme renewal');
    expect(url('hubspot', { portal_id: '4412' }, 'deals', '1')).toBe('https://app.hubspot.com/contacts/4412/record/0-3/1');
    expect(url('hubspot', {}, 'deals', '1')).toBeUndefined();
  });
});
