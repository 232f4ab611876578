/**
 * `ferry check` for QuickBooks: which company the connection reaches, and the company settings the flows
 * depend on (Preferences): shipping on sales forms, custom transaction numbers, multicurrency.
 */
import type { CheckReport, CheckRequest } from '../../src/connector/types.js';
import type { QuickBooksClient } from './client.js';

interface Preferences {
  SalesFormsPrefs?: { CustomTxnNumbers?: boolean; AllowShipping?: boolean };
  CurrencyPrefs?: { MultiCurrencyEnabled?: boolean; HomeCurrency?: { value?: string } };
}

export async function checkQuickBooks(client: QuickBooksClient, request: CheckRequest): Promise<CheckReport> {
  // node-quickbooks answers a read with the entity itself, unwrapped.
  const info = await client.call<{ CompanyName: string }>('getCompanyInfo', client.realmId);
  const prefs = await client.call<Preferences>('getPreferences');
  const report: CheckReport = { account: `company ${info.CompanyName} (realm ${client.realmId})`, notes: [], problems: [] };
  const shipping = [...new Set(request.uses.filter((u) => u.direction === 'write' && u.text.includes('SHIPPING_ITEM_ID')).map((u) => u.flow))];
  if (shipping.length && prefs.SalesFormsPrefs?.AllowShipping === false) {
    report.problems.push({
      problem: `${shipping.join(', ')} send shipping as a line (SHIPPING_ITEM_ID), and this company has shipping turned off`,
      fix: 'in QuickBooks, Settings → Account and settings → Sales → Sales form content: turn Shipping on',
    });
  }
  report.notes.push(
    prefs.SalesFormsPrefs?.CustomTxnNumbers
      ? 'custom transaction numbers on: QuickBooks refuses a DocNumber already used'
      : 'custom transaction numbers off: QuickBooks keeps a DocNumber as sent, duplicates included, so Ferry looks documents up before it creates them, and refuses a number that finds two',
  );
  report.notes.push(`home currency ${prefs.CurrencyPrefs?.HomeCurrency?.value ?? 'unknown'}, multicurrency ${prefs.CurrencyPrefs?.MultiCurrencyEnabled ? 'on' : 'off'}`);
  report.notes.push("limits: 500 requests a minute, 10 a second, 40 batches a minute (Intuit's, per company and app)");
  return report;
}
