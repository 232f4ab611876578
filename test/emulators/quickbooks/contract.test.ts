/**
 * Contract: every entity the QuickBooks emulator answers with uses only element and attribute names that
 * Intuit's XSD defines for its type (read from ../shared/api-specs/quickbooks/xsd when the test runs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickBooks, type RunningQuickBooks } from '../../../emulators/quickbooks/index.js';
import { loadIntuitTypes, namesOutsideXsd, XSD_DIR, xsdAvailable } from '../../support/intuit-xsd.js';

describe.skipIf(!xsdAvailable)(`QuickBooks emulator against Intuit's XSD (${XSD_DIR})`, () => {
  let emu: RunningQuickBooks;
  const answers = new Map<string, Record<string, unknown>>();
  const types = xsdAvailable ? loadIntuitTypes() : new Map();

  const post = async (entity: string, body: object) => {
    const response = await fetch(`${emu.url}/v3/company/${emu.options.realmId}/${entity.toLowerCase()}?minorversion=75`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.options.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, Record<string, unknown>>;
    answers.set(entity, json[entity]!);
    return json[entity]!;
  };

  beforeAll(async () => {
    emu = await startQuickBooks({ seed: 4 });
    const customer = await post('Customer', { DisplayName: 'Contract Co', PrimaryEmailAddr: { Address: 'c@example.com' }, BillAddr: { Line1: '1 Main St', City: 'Springfield' } });
    const item = await post('Item', { Name: 'Gadget', Sku: 'GAD-1', Type: 'Inventory', QtyOnHand: 10, InvStartDate: '2026-01-01', UnitPrice: 5 });
    const line = { Amount: 10, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 2, UnitPrice: 5, TaxCodeRef: { value: 'NON' } } };
    const invoice = await post('Invoice', { CustomerRef: { value: customer.Id }, Line: [line], SalesTermRef: { value: '3' }, BillEmail: { Address: 'c@example.com' } });
    await post('Payment', { CustomerRef: { value: customer.Id }, TotalAmt: 10, Line: [{ Amount: 10, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] });
    await post('SalesReceipt', { CustomerRef: { value: customer.Id }, Line: [line] });
    await post('CreditMemo', { CustomerRef: { value: customer.Id }, Line: [line] });
    const fault = await fetch(`${emu.url}/v3/company/${emu.options.realmId}/invoice/999`, { headers: { authorization: `Bearer ${emu.options.accessToken}` } });
    answers.set('Fault', ((await fault.json()) as { Fault: Record<string, unknown> }).Fault);
    answers.set('Invoice', (await (await fetch(`${emu.url}/v3/company/${emu.options.realmId}/invoice/${String(invoice.Id)}`, { headers: { authorization: `Bearer ${emu.options.accessToken}` } })).json() as { Invoice: Record<string, unknown> }).Invoice);
  });
  afterAll(() => emu?.close());

  for (const type of ['Customer', 'Item', 'Invoice', 'Payment', 'SalesReceipt', 'CreditMemo', 'Fault']) {
    it(`a ${type} uses only the names Intuit's XSD defines for it`, () => {
      const answer = answers.get(type);
      expect(answer).toBeDefined();
      expect(namesOutsideXsd(types, type, answer)).toEqual([]);
    });
  }

  it('the XSD reader itself catches a name Intuit does not define', () => {
    expect(namesOutsideXsd(types, 'Invoice', { CustomerRef: { value: '1', colour: 'x' }, Bogus: 1 })).toEqual(['Invoice.CustomerRef.colour', 'Invoice.Bogus']);
  });
});
