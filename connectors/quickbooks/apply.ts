/**
 * Cash application by hand (`ferry apply`): a payment no invoice claimed is applied to the invoice a
 * person names by its number (DocNumber), as QuickBooks' own "Receive payment" screen does. The payment
 * keeps its total; what is not applied stays on it as the customer's credit, as in QuickBooks.
 */
import { Decimal } from 'decimal.js';
import type { AppliedPayment, JsonObject } from '../../src/connector/types.js';
import { PermanentError } from '../../src/errors.js';
import type { QuickBooksClient } from './client.js';
import { quote } from './entities.js';

interface Invoice {
  Id: string;
  DocNumber?: string;
  Balance?: number | string;
  CustomerRef?: { value: string; name?: string };
}

async function invoicesWhere(client: QuickBooksClient, where: string): Promise<Invoice[]> {
  const answer = await client.call<{ QueryResponse: { Invoice?: Invoice[] } }>('findInvoices', where);
  return answer.QueryResponse.Invoice ?? [];
}

export async function applyPayment(client: QuickBooksClient, payment: JsonObject, document: string, amount?: string): Promise<AppliedPayment> {
  let invoices = await invoicesWhere(client, `where DocNumber = ${quote(document)}`);
  // Without custom transaction numbers a person may only know the invoice's Id.
  if (!invoices.length && /^\d+$/.test(document)) invoices = await invoicesWhere(client, `where Id = ${quote(document)}`);
  if (!invoices.length) throw new PermanentError(`QuickBooks has no invoice numbered '${document}'`, { code: 'apply' });
  if (invoices.length > 1) {
    throw new PermanentError(`QuickBooks has ${invoices.length} invoices numbered '${document}' (Ids ${invoices.map((i) => i.Id).join(', ')}): name the one meant by its Id`, { code: 'ambiguous-match' });
  }
  const invoice = invoices[0]!;
  const label = `invoice ${invoice.DocNumber ?? invoice.Id}`;
  const customer = (payment.CustomerRef as { value?: unknown } | undefined)?.value;
  if (customer !== undefined && invoice.CustomerRef?.value !== String(customer)) {
    throw new PermanentError(`${label} is ${invoice.CustomerRef?.name ?? `customer ${invoice.CustomerRef?.value}`}'s, not the payment's customer (${String(customer)})`, { code: 'apply' });
  }
  const balance = new Decimal(invoice.Balance ?? 0);
  const total = new Decimal(String(payment.TotalAmt ?? 0));
  if (amount !== undefined && !/^\d+(\.\d{1,2})?$/.test(amount)) throw new PermanentError(`--amount ${amount} is not an amount in currency units (12.34)`, { code: 'apply' });
  const applied = amount !== undefined ? new Decimal(amount) : Decimal.min(total, balance);
  if (balance.lte(0)) throw new PermanentError(`${label} is paid in full: its balance is ${balance.toFixed(2)}`, { code: 'apply' });
  if (applied.lte(0)) throw new PermanentError(`the amount to apply must be more than 0`, { code: 'apply' });
  if (applied.gt(balance)) throw new PermanentError(`${applied.toFixed(2)} is more than ${label}'s balance of ${balance.toFixed(2)}`, { code: 'apply' });
  if (applied.gt(total)) throw new PermanentError(`${applied.toFixed(2)} is more than the payment's total of ${total.toFixed(2)}`, { code: 'apply' });
  return {
    payload: { ...payment, Line: [{ Amount: applied.toNumber(), LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] },
    document: { entity: 'invoices', id: invoice.Id, label, balance: balance.toFixed(2), applied: applied.toFixed(2) },
  };
}
