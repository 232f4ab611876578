/** QuickBooks records as a bookkeeper knows them (invoice 1047), and their pages in QuickBooks Online. */
import type { ConnectionSettings, JsonObject } from '../../src/connector/types.js';
import { firstValue } from '../shared/labels.js';

const LABELS: Record<string, readonly string[]> = { customers: ['DisplayName'], items: ['Name'], invoices: ['DocNumber'], payments: ['PaymentRefNum'], sales_receipts: ['DocNumber'], credit_memos: ['DocNumber'], refund_receipts: ['DocNumber'] };
const PAGES: Record<string, string> = { invoices: 'invoice?txnId=', payments: 'recvpayment?txnId=', sales_receipts: 'salesreceipt?txnId=', credit_memos: 'creditmemo?txnId=', refund_receipts: 'refundreceipt?txnId=', customers: 'customerdetail?nameId=' };

export function quickBooksLabel(entity: string, record: JsonObject): string | undefined {
  return firstValue(record, LABELS[entity] ?? ['DisplayName', 'Name', 'DocNumber']);
}

/** https://app.qbo.intuit.com/app/invoice?txnId=…; a sandbox company opens in the sandbox. */
export function quickBooksAdminUrl(settings: ConnectionSettings, entity: string, id: string): string | undefined {
  const page = PAGES[entity];
  if (!page) return undefined;
  const sandbox = settings.options.environment === 'sandbox' || /sandbox/.test(settings.baseUrl ?? '');
  return `https://app.${sandbox ? 'sandbox.' : ''}qbo.intuit.com/app/${page}${encodeURIComponent(id)}`;
}
