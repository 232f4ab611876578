/**
 * What a payload must hold before QuickBooks sees it: Intuit's business rules for each entity (the XSD
 * makes every element optional; the API does not). A mapping that misses one is caught by Ferry's
 * validation with the field named, without spending a request.
 */
import type { JsonObject } from '../../src/connector/types.js';

const ref = { type: 'object', required: ['value'], properties: { value: { type: 'string', minLength: 1 }, name: { type: 'string' } } };
const money = { type: 'number', minimum: 0 };
const line = {
  type: 'object',
  required: ['Amount', 'DetailType'],
  properties: {
    Amount: { type: 'number' },
    DetailType: { enum: ['SalesItemLineDetail', 'DiscountLineDetail', 'DescriptionOnly', 'SubTotalLineDetail', 'GroupLineDetail'] },
    Description: { type: 'string', maxLength: 4000 },
    SalesItemLineDetail: { type: 'object', required: ['ItemRef'], properties: { ItemRef: ref, Qty: { type: 'number' }, UnitPrice: { type: 'number' }, TaxCodeRef: ref } },
  },
};
const transaction = (required: string[]): JsonObject => ({
  type: 'object',
  required,
  properties: {
    DocNumber: { type: 'string', maxLength: 21 },
    TxnDate: { type: 'string', format: 'date' },
    DueDate: { type: 'string', format: 'date' },
    CustomerRef: ref,
    SalesTermRef: ref,
    Line: { type: 'array', minItems: 1, items: line },
    TxnTaxDetail: { type: 'object', properties: { TotalTax: money } },
    PrivateNote: { type: 'string', maxLength: 4000 },
    CustomerMemo: { type: 'object', required: ['value'], properties: { value: { type: 'string', maxLength: 1000 } } },
    DepositToAccountRef: ref,
  },
});

export const SCHEMAS: Record<string, JsonObject> = {
  Customer: {
    type: 'object',
    required: ['DisplayName'],
    properties: {
      DisplayName: { type: 'string', minLength: 1, maxLength: 500 },
      GivenName: { type: 'string', maxLength: 100 },
      FamilyName: { type: 'string', maxLength: 100 },
      CompanyName: { type: 'string', maxLength: 100 },
      PrimaryEmailAddr: { type: 'object', required: ['Address'], properties: { Address: { type: 'string', format: 'email', maxLength: 100 } } },
      PrimaryPhone: { type: 'object', properties: { FreeFormNumber: { type: 'string', maxLength: 30 } } },
      BillAddr: { type: 'object', properties: { Line1: { type: 'string', maxLength: 500 }, City: { type: 'string', maxLength: 255 }, CountrySubDivisionCode: { type: 'string', maxLength: 255 }, PostalCode: { type: 'string', maxLength: 30 }, Country: { type: 'string', maxLength: 255 } } },
      CreditLimit: money,
    },
  },
  Item: {
    type: 'object',
    required: ['Name'],
    properties: { Name: { type: 'string', minLength: 1, maxLength: 100 }, Sku: { type: 'string', maxLength: 100 }, Type: { enum: ['Service', 'Inventory', 'NonInventory'] }, UnitPrice: money, QtyOnHand: { type: 'number' } },
  },
  Invoice: transaction(['CustomerRef', 'Line']),
  SalesReceipt: transaction(['Line']),
  CreditMemo: transaction(['CustomerRef', 'Line']),
  RefundReceipt: transaction(['Line', 'DepositToAccountRef']),
  Payment: {
    type: 'object',
    required: ['CustomerRef', 'TotalAmt'],
    properties: {
      CustomerRef: ref,
      TotalAmt: money,
      TxnDate: { type: 'string', format: 'date' },
      PaymentRefNum: { type: 'string', maxLength: 21 },
      Line: { type: 'array', items: { type: 'object', required: ['Amount', 'LinkedTxn'], properties: { Amount: money, LinkedTxn: { type: 'array', minItems: 1 } } } },
    },
  },
};
