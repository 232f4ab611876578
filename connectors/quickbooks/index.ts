/**
 * QuickBooks Online Accounting (v3) on the official `node-quickbooks` SDK. See README.md beside this
 * file for authentication, limits and the quirks handled here.
 */
import type { ConnectorDeclaration } from '../../src/connector/types.js';
import { ACCESS_TOKEN, AUTHORIZE_URL, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, REFRESH_TOKEN, TIMEOUT_MS } from '../shared/options.js';
import { quickBooksAdminUrl, quickBooksLabel } from './admin.js';
import { PermanentError } from '../../src/errors.js';
import { applyPayment } from './apply.js';
import { quickbooksWebhook } from './webhook.js';
import type { QuickBooksClient } from './client.js';
import { quickBooksEntity, quote } from './entities.js';

const NAMED_LISTS: Record<string, string> = { Term: 'Terms', Account: 'Accounts', PaymentMethod: 'PaymentMethods', TaxCode: 'TaxCodes', Class: 'Classes', Department: 'Departments', Item: 'Items' };

export const quickbooks: ConnectorDeclaration<QuickBooksClient> = {
  name: 'quickbooks',
  description: 'QuickBooks Online Accounting API v3',
  // The SDK is loaded when a connection is opened, so commands that only read flows start at once.
  open: async (settings, context) => (await import('./client.js')).QuickBooksClient.open(settings, context),
  // A refresh token is a grant of one app on one company: the realm and the app's client id name it.
  account: (settings) => (settings.options.realm_id ? `realm ${String(settings.options.realm_id)}, app ${String(settings.options.client_id)}` : undefined),
  requestCount: (client) => client.requests,
  // `$ref('Term', 'Net 30')`: lists a company keeps by name, each with node-quickbooks' find method.
  async reference(client, type, name) {
    const plural = NAMED_LISTS[type];
    if (!plural) throw new PermanentError(`$ref: QuickBooks keeps no '${type}' by name here (${Object.keys(NAMED_LISTS).join(', ')})`, { code: 'reference' });
    const answer = await client.call<{ QueryResponse: Record<string, { Id: string }[] | undefined> }>(`find${plural}`, `where Name = ${quote(name)}`);
    return answer.QueryResponse[type]?.[0]?.Id;
  },
  check: async (...args) => (await import('./check.js')).checkQuickBooks(...args),
  connect: async (...args) => (await import('./connect.js')).connectQuickBooks(...args),
  webhook: quickbooksWebhook,
  options: {
    realm_id: { type: 'string', description: 'The QuickBooks company (realm) id.' },
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    refresh_token: REFRESH_TOKEN,
    access_token: ACCESS_TOKEN,
    token_url: { type: 'string', description: "Intuit's OAuth 2 token endpoint (its real one unless an emulator's)." },
    authorize_url: AUTHORIZE_URL,
    redirect_uri: REDIRECT_URI,
    environment: { type: 'string', description: '`sandbox` for a sandbox company (admin links open in the sandbox).' },
    requests_per_minute: { type: 'number', description: 'Requests a minute per company (500).' },
    requests_per_second: { type: 'number', description: 'Requests a second per company (10).' },
    batches_per_minute: { type: 'number', description: 'Batch requests a minute per company (40).' },
    timeout_ms: TIMEOUT_MS,
  },
  label: quickBooksLabel,
  adminUrl: quickBooksAdminUrl,
  entities: {
    customers: quickBooksEntity({ entity: 'Customer', plural: 'Customers', description: 'customers (DisplayName is unique)', naturalKey: 'DisplayName', matchFields: ['PrimaryEmailAddr', 'DisplayName', 'CompanyName'] }),
    items: quickBooksEntity({ entity: 'Item', plural: 'Items', description: 'products and services, matched by Sku or Name', naturalKey: 'Name', matchFields: ['Sku', 'Name'] }),
    invoices: quickBooksEntity({ entity: 'Invoice', plural: 'Invoices', description: 'invoices (receivables)', naturalKey: 'DocNumber', matchFields: ['DocNumber'] }),
    payments: { ...quickBooksEntity({ entity: 'Payment', plural: 'Payments', description: 'customer payments applied to invoices', naturalKey: 'PaymentRefNum', matchFields: ['PaymentRefNum'] }), applyTo: applyPayment },
    sales_receipts: quickBooksEntity({ entity: 'SalesReceipt', plural: 'SalesReceipts', description: 'sales paid at the time of sale', naturalKey: 'DocNumber', matchFields: ['DocNumber'] }),
    credit_memos: quickBooksEntity({ entity: 'CreditMemo', plural: 'CreditMemos', description: 'credits for refunds and returns', naturalKey: 'DocNumber', matchFields: ['DocNumber'] }),
    refund_receipts: quickBooksEntity({ entity: 'RefundReceipt', plural: 'RefundReceipts', description: 'money paid back for a sale paid at the time of sale', naturalKey: 'DocNumber', matchFields: ['DocNumber'] }),
  },
};
