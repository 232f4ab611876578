/**
 * The company file behind the QuickBooks emulator: entities by type with QuickBooks' bookkeeping
 * rules — derived totals and sub-total lines, document numbers, balances that payments reduce,
 * unique display names, `SyncToken` concurrency, delete and void.
 */
import type { EntityName } from './contract.js';
import { tableIn } from '../core/tables.js';

export type Entity = Record<string, unknown> & { Id?: string; SyncToken?: string; sparse?: boolean };
type Line = Record<string, unknown> & { Amount?: number; DetailType?: string };
type Ref = { value?: string; name?: string };

export class QboFault extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly detail: string,
    readonly code: string,
    readonly element?: string,
  ) {
    super(message);
  }
}

const required = (element: string) =>
  new QboFault(400, 'ValidationFault', 'Required param missing, need to supply the required value for the API', `Required parameter ${element} is missing in the request`, '2020', element);
const invalidReference = (element: string, id: unknown) =>
  new QboFault(400, 'ValidationFault', 'Invalid Reference Id', `Invalid Reference Id : ${element} id ${String(id)} not found`, '2500', element);
const businessRule = (detail: string, element?: string) =>
  new QboFault(400, 'ValidationFault', 'A business validation error has occurred while processing your request', `Business Validation Error: ${detail}`, '6000', element);

const TRANSACTIONS: EntityName[] = ['Invoice', 'SalesReceipt', 'CreditMemo', 'RefundReceipt'];
const NAMED: Partial<Record<EntityName, string>> = { Customer: 'DisplayName', Item: 'Name', Account: 'Name' };

/** Amounts in cents, so comparisons and sums are exact. */
const cents = (amount: unknown) => Math.round(Number(amount ?? 0) * 100);
const fromCents = (value: number) => value / 100;

/** How a company is set up, where QuickBooks' answers depend on it. */
export interface CompanySettings {
  /**
   * "Custom transaction numbers" (Preferences.SalesFormsPrefs.CustomTxnNumbers), off in a new company.
   * Intuit, Transaction.DocNumber (Finance.xsd): with it off, a sales form sent without a DocNumber is
   * numbered next in sequence, one sent with a DocNumber keeps it, duplicates included; with it on, a
   * form sent without one has none, and a number already used is refused (6140). `AUTO_GENERATE` asks
   * for the next number either way.
   */
  customTxnNumbers?: boolean;
  /**
   * The id of the first account, tax code and term the company starts with. A sandbox numbers them
   * from 1; a company set up its own way has others, and flows must name them, not carry ids.
   */
  firstListId?: number;
  /** "Shipping" on sales forms (SalesFormsPrefs.AllowShipping): without it, no line may name SHIPPING_ITEM_ID. */
  allowShipping?: boolean;
}

export class QboBooks {
  private readonly tables = new Map<EntityName, Map<string, Entity>>();
  private readonly nextId = new Map<EntityName, number>();
  private nextDocNumber = 1001;

  constructor(
    private readonly now: () => string,
    private readonly company: CompanySettings = {},
  ) {
    this.seed();
  }

  snapshot(): unknown {
    return { tables: [...this.tables].map(([name, table]) => [name, [...table.values()]]), nextId: [...this.nextId], nextDocNumber: this.nextDocNumber };
  }

  restore(state: unknown): void {
    const saved = state as { tables: [EntityName, Entity[]][]; nextId: [EntityName, number][]; nextDocNumber: number };
    this.tables.clear();
    for (const [name, list] of saved.tables) for (const entity of list) this.table(name).set(String(entity.Id), entity);
    this.nextId.clear();
    for (const [name, id] of saved.nextId) this.nextId.set(name, id);
    this.nextDocNumber = saved.nextDocNumber;
  }

  all(name: EntityName): Entity[] {
    return [...this.table(name).values()];
  }

  get(name: EntityName, id: string): Entity | undefined {
    return this.table(name).get(id);
  }

  create(name: EntityName, input: Entity): Entity {
    if (input.SyncToken !== undefined) throw businessRule('SyncToken is only for updates.', 'SyncToken');
    const entity = structuredClone(input);
    delete entity.sparse;
    const id = String(this.nextId.get(name) ?? 1);
    this.nextId.set(name, Number(id) + 1);
    const time = this.now();
    Object.assign(entity, { Id: id, SyncToken: '0', domain: 'QBO', sparse: false, MetaData: { CreateTime: time, LastUpdatedTime: time } });
    this.derive(name, entity, undefined);
    this.table(name).set(id, entity);
    this.afterChange(name, entity, undefined);
    return entity;
  }

  update(name: EntityName, input: Entity): Entity {
    const existing = this.get(name, String(input.Id));
    if (!existing) throw new QboFault(400, 'ValidationFault', 'Object Not Found', `Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.`, '610', 'Id');
    if (input.SyncToken === undefined) throw required('SyncToken');
    if (String(input.SyncToken) !== existing.SyncToken) {
      throw new QboFault(400, 'ValidationFault', 'Stale Object Error', 'Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.', '5010', 'SyncToken');
    }
    const before = structuredClone(existing);
    const sparse = input.sparse === true || String(input.sparse) === 'true';
    const next: Entity = sparse ? { ...structuredClone(existing) } : { Id: existing.Id, domain: 'QBO' };
    for (const [key, value] of Object.entries(input)) if (!['Id', 'SyncToken', 'MetaData', 'sparse', 'domain'].includes(key)) next[key] = structuredClone(value);
    if (!sparse && TRANSACTIONS.includes(name) && next.DocNumber === undefined) next.DocNumber = existing.DocNumber;
    next.SyncToken = String(Number(existing.SyncToken) + 1);
    next.sparse = false;
    next.MetaData = { CreateTime: (existing.MetaData as Record<string, string>).CreateTime, LastUpdatedTime: this.now() };
    this.derive(name, next, existing);
    this.table(name).set(String(existing.Id), next);
    this.afterChange(name, next, before);
    return next;
  }

  remove(name: EntityName, input: Entity): Entity {
    const existing = this.checkedForChange(name, input);
    if (name === 'Invoice' && this.paymentsApplied(String(existing.Id)) > 0) {
      throw businessRule('This transaction has payments applied to it; delete or unapply the payments first.');
    }
    if (!TRANSACTIONS.includes(name) && name !== 'Payment') throw businessRule(`${name} cannot be deleted; make it inactive instead.`);
    this.table(name).delete(String(existing.Id));
    this.afterChange(name, undefined, existing);
    return { Id: existing.Id, status: 'Deleted', domain: 'QBO' };
  }

  voidTransaction(name: EntityName, input: Entity): Entity {
    const existing = this.checkedForChange(name, input);
    if (!['Invoice', 'SalesReceipt', 'Payment'].includes(name)) throw businessRule(`${name} cannot be voided.`);
    const before = structuredClone(existing);
    Object.assign(existing, { TotalAmt: 0, Balance: 0, PrivateNote: 'Voided', SyncToken: String(Number(existing.SyncToken) + 1) });
    (existing.MetaData as Record<string, string>).LastUpdatedTime = this.now();
    if (name === 'Payment') {
      existing.Line = [];
      existing.UnappliedAmt = 0;
    }
    this.afterChange(name, existing, before);
    return existing;
  }

  private checkedForChange(name: EntityName, input: Entity): Entity {
    const existing = this.get(name, String(input.Id));
    if (!existing) throw new QboFault(400, 'ValidationFault', 'Object Not Found', 'Object Not Found : Something you\'re trying to use has been made inactive.', '610', 'Id');
    if (String(input.SyncToken) !== existing.SyncToken) {
      throw new QboFault(400, 'ValidationFault', 'Stale Object Error', 'Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.', '5010', 'SyncToken');
    }
    return existing;
  }

  /** Fills what QuickBooks computes and refuses what it refuses. */
  private derive(name: EntityName, entity: Entity, existing: Entity | undefined): void {
    const docNumber = entity.DocNumber;
    // "The maximum length for DocNumber is 21 characters" (Transaction.DocNumber, Finance.xsd).
    if (typeof docNumber === 'string' && docNumber.length > 21) {
      throw new QboFault(400, 'ValidationFault', 'String length is either shorter or longer than supported by specification', `String length specified does not match the supported length. Min:0 Max:21 supported. Supplied length:${docNumber.length}`, '2050', 'DocNumber');
    }
    const nameField = NAMED[name];
    if (name === 'Customer' && !entity.DisplayName) {
      const parts = [entity.GivenName, entity.FamilyName].filter(Boolean).join(' ');
      entity.DisplayName = parts || entity.CompanyName;
    }
    if (nameField) {
      const value = entity[nameField];
      if (!value) throw required(nameField);
      const clash = this.all(name).find((e) => e.Id !== entity.Id && String(e[nameField]).toLowerCase() === String(value).toLowerCase());
      if (clash) {
        throw new QboFault(400, 'ValidationFault', 'Duplicate Name Exists Error', `The name supplied already exists. : Another ${name.toLowerCase()} is already using this name. Please use a different name.`, '6240', nameField);
      }
    }
    switch (name) {
      case 'Customer':
        Object.assign(entity, {
          FullyQualifiedName: entity.DisplayName,
          PrintOnCheckName: entity.PrintOnCheckName ?? entity.DisplayName,
          Active: entity.Active ?? true,
          Taxable: entity.Taxable ?? false,
          Job: false,
          BillWithParent: false,
          Balance: existing?.Balance ?? 0,
          BalanceWithJobs: existing?.BalanceWithJobs ?? 0,
          CurrencyRef: entity.CurrencyRef ?? { value: 'USD', name: 'United States Dollar' },
          PreferredDeliveryMethod: entity.PreferredDeliveryMethod ?? 'Print',
        });
        return;
      case 'Item': {
        const type = String(entity.Type ?? 'Service');
        if (type === 'Inventory' && !entity.InvStartDate) throw required('InvStartDate');
        Object.assign(entity, {
          Type: type,
          FullyQualifiedName: entity.Name,
          Active: entity.Active ?? true,
          Taxable: entity.Taxable ?? false,
          UnitPrice: entity.UnitPrice ?? 0,
          IncomeAccountRef: entity.IncomeAccountRef ?? this.accountRef('Sales of Product Income'),
          TrackQtyOnHand: type === 'Inventory',
          ...(type === 'Inventory'
            ? { QtyOnHand: entity.QtyOnHand ?? 0, AssetAccountRef: entity.AssetAccountRef ?? this.accountRef('Inventory Asset'), ExpenseAccountRef: entity.ExpenseAccountRef ?? this.accountRef('Cost of Goods Sold') }
            : {}),
        });
        return;
      }
      case 'Payment':
        return this.derivePayment(entity, existing);
      default:
        if (TRANSACTIONS.includes(name)) this.deriveTransaction(name, entity, existing);
    }
  }

  private deriveTransaction(name: EntityName, entity: Entity, existing: Entity | undefined): void {
    if ((name === 'Invoice' || name === 'CreditMemo') && !(entity.CustomerRef as Ref | undefined)?.value) throw required('CustomerRef');
    this.resolveRef(entity, 'CustomerRef', 'Customer', 'DisplayName');
    const lines = (entity.Line as Line[] | undefined)?.filter((l) => l.DetailType !== 'SubTotalLineDetail');
    if (!lines?.length) throw required('Line');
    let subtotal = 0;
    let discount = 0;
    lines.forEach((line, index) => {
      line.Id = String(index + 1);
      line.LineNum = index + 1;
      if (line.Amount === undefined && line.DetailType !== 'DescriptionOnly') throw required(`Line.Amount`);
      if (line.DetailType === 'SalesItemLineDetail') {
        const detail = (line.SalesItemLineDetail ?? {}) as Record<string, unknown>;
        if (!(detail.ItemRef as Ref | undefined)?.value) throw required('Line.SalesItemLineDetail.ItemRef');
        // QuickBooks' reserved id for the shipping line of a sales form, when shipping is turned on.
        if ((detail.ItemRef as Ref).value === 'SHIPPING_ITEM_ID') {
          if (this.company.allowShipping === false) throw invalidReference(`Line[${index}].SalesItemLineDetail.ItemRef`, 'SHIPPING_ITEM_ID');
          (detail.ItemRef as Ref).name = 'Shipping';
        }
        else this.resolveRef(detail, 'ItemRef', 'Item', 'Name');
        if (detail.Qty !== undefined && detail.UnitPrice !== undefined && Math.round(Number(detail.Qty) * Number(detail.UnitPrice) * 100) !== cents(line.Amount)) {
          throw new QboFault(400, 'ValidationFault', 'Amount is not equal to UnitPrice * Qty', `Amount is not equal to UnitPrice * Qty. Supplied value:${String(line.Amount)}`, '6070', `Line[${index}].Amount`);
        }
        subtotal += cents(line.Amount);
      } else if (line.DetailType === 'DiscountLineDetail') {
        discount += cents(line.Amount);
      }
    });
    const tax = cents((entity.TxnTaxDetail as Record<string, unknown> | undefined)?.TotalTax);
    const total = subtotal - discount + tax;
    if (total < 0) throw businessRule('Transaction amount must be 0 or greater.', 'TotalAmt');
    entity.Line = [...lines, { Amount: fromCents(subtotal), DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} }];
    entity.TotalAmt = fromCents(total);

    if (entity.DocNumber === 'AUTO_GENERATE' || (!entity.DocNumber && !this.company.customTxnNumbers && !existing)) entity.DocNumber = String(this.nextDocNumber++);
    if (entity.DocNumber && this.company.customTxnNumbers) {
      const clash = this.all(name).find((e) => e.Id !== entity.Id && e.DocNumber === entity.DocNumber);
      if (clash) throw new QboFault(400, 'ValidationFault', 'Duplicate Document Number Error', 'Duplicate Document Number Error : You must specify a different number. This number has already been used.', '6140', 'DocNumber');
    }
    entity.TxnDate ??= this.now().slice(0, 10);
    entity.CurrencyRef ??= { value: 'USD', name: 'United States Dollar' };
    entity.LinkedTxn ??= existing?.LinkedTxn ?? [];
    if (name === 'Invoice') {
      const termDays = Number(this.get('Term', String((entity.SalesTermRef as Ref | undefined)?.value))?.DueDays ?? 0);
      entity.DueDate ??= addDays(String(entity.TxnDate), termDays);
      const applied = existing ? this.paymentsApplied(String(existing.Id)) : 0;
      if (applied > total) throw businessRule('The invoice total is less than the payments already applied to it.', 'TotalAmt');
      entity.Balance = fromCents(total - applied);
      entity.EmailStatus ??= 'NotSet';
      entity.PrintStatus ??= 'NotSet';
    } else if (name === 'SalesReceipt') {
      entity.Balance = 0;
      entity.DepositToAccountRef ??= this.accountRef('Undeposited Funds');
    } else if (name === 'CreditMemo') {
      entity.Balance = fromCents(total);
      entity.RemainingCredit = fromCents(total);
    } else if (name === 'RefundReceipt') {
      // Money paid back out of an account: QuickBooks requires the account (RefundReceipt.DepositToAccountRef).
      if (!(entity.DepositToAccountRef as Ref | undefined)?.value) throw required('DepositToAccountRef');
      entity.Balance = 0;
    }
  }

  private derivePayment(entity: Entity, existing: Entity | undefined): void {
    if (!(entity.CustomerRef as Ref | undefined)?.value) throw required('CustomerRef');
    if (entity.TotalAmt === undefined) throw required('TotalAmt');
    this.resolveRef(entity, 'CustomerRef', 'Customer', 'DisplayName');
    const lines = (entity.Line as Line[] | undefined) ?? [];
    let applied = 0;
    for (const line of lines) {
      const links = (line.LinkedTxn as { TxnId?: string; TxnType?: string }[] | undefined) ?? [];
      for (const link of links) {
        if (link.TxnType !== 'Invoice') continue;
        const invoice = this.get('Invoice', String(link.TxnId));
        if (!invoice) throw invalidReference('LinkedTxn', link.TxnId);
        if ((invoice.CustomerRef as Ref).value !== (entity.CustomerRef as Ref).value) throw businessRule(`Invoice ${String(link.TxnId)} belongs to another customer.`, 'LinkedTxn');
        // What this payment applied before an update is available again.
        const previously = existing ? appliedTo(existing, String(invoice.Id)) : 0;
        if (cents(line.Amount) > cents(invoice.Balance) + previously) {
          throw businessRule(`The payment amount ${String(line.Amount)} is more than the open balance ${String(invoice.Balance)} of invoice ${String(invoice.DocNumber)}.`, 'Line.Amount');
        }
      }
      applied += cents(line.Amount);
    }
    if (applied > cents(entity.TotalAmt)) throw businessRule('The amounts applied are more than the payment total.', 'TotalAmt');
    entity.UnappliedAmt = fromCents(cents(entity.TotalAmt) - applied);
    entity.TxnDate ??= this.now().slice(0, 10);
    entity.CurrencyRef ??= { value: 'USD', name: 'United States Dollar' };
    entity.DepositToAccountRef ??= this.accountRef('Undeposited Funds');
  }

  /** Keeps invoice balances, their links to payments, and customer balances true after any change. */
  private afterChange(name: EntityName, after: Entity | undefined, before: Entity | undefined): void {
    if (name === 'Payment') {
      const invoices = new Set([...linkedInvoices(before), ...linkedInvoices(after)]);
      for (const id of invoices) {
        const invoice = this.get('Invoice', id);
        if (!invoice) continue;
        invoice.Balance = fromCents(cents(invoice.TotalAmt) - this.paymentsApplied(id));
        const others = ((invoice.LinkedTxn as { TxnId: string; TxnType: string }[]) ?? []).filter((l) => !(l.TxnType === 'Payment' && l.TxnId === String((after ?? before)!.Id)));
        invoice.LinkedTxn = after && linkedInvoices(after).includes(id) ? [...others, { TxnId: String(after.Id), TxnType: 'Payment' }] : others;
        invoice.SyncToken = String(Number(invoice.SyncToken) + 1);
        (invoice.MetaData as Record<string, string>).LastUpdatedTime = this.now();
      }
    }
    const customerId = ((after ?? before)?.CustomerRef as Ref | undefined)?.value;
    if (customerId && name !== 'Customer') this.refreshCustomerBalance(customerId);
  }

  private refreshCustomerBalance(customerId: string): void {
    const customer = this.get('Customer', customerId);
    if (!customer) return;
    const mine = (name: EntityName) => this.all(name).filter((e) => (e.CustomerRef as Ref | undefined)?.value === customerId);
    const open = mine('Invoice').reduce((s, e) => s + cents(e.Balance), 0);
    const credits = mine('CreditMemo').reduce((s, e) => s + cents(e.Balance), 0);
    const unapplied = mine('Payment').reduce((s, e) => s + cents(e.UnappliedAmt), 0);
    customer.Balance = fromCents(open - credits - unapplied);
    customer.BalanceWithJobs = customer.Balance;
  }

  private paymentsApplied(invoiceId: string): number {
    return this.all('Payment').reduce((sum, payment) => sum + appliedTo(payment, invoiceId), 0);
  }

  private resolveRef(holder: Record<string, unknown>, field: string, type: EntityName, nameField: string): void {
    const ref = holder[field] as Ref | undefined;
    if (!ref?.value) return;
    const target = this.get(type, String(ref.value));
    if (!target) throw invalidReference(field, ref.value);
    ref.name = String(target[nameField]);
  }

  private table(name: EntityName): Map<string, Entity> {
    return tableIn(this.tables, name);
  }

  /** A reference to one of the company's accounts, by its name. */
  private accountRef(name: string): Ref {
    const account = this.all('Account').find((a) => a.Name === name);
    return { value: String(account?.Id), name };
  }

  /** The chart of accounts, tax codes and terms every new QuickBooks company starts with. */
  private seed(): void {
    const time = this.now();
    const add = (name: EntityName, fields: Entity) => {
      const id = String(this.nextId.get(name) ?? this.company.firstListId ?? 1);
      this.nextId.set(name, Number(id) + 1);
      this.table(name).set(id, { ...fields, Id: id, SyncToken: '0', domain: 'QBO', sparse: false, MetaData: { CreateTime: time, LastUpdatedTime: time } });
    };
    for (const [accountName, AccountType, AccountSubType, Classification] of [
      ['Sales of Product Income', 'Income', 'SalesOfProductIncome', 'Revenue'],
      ['Services', 'Income', 'ServiceFeeIncome', 'Revenue'],
      ['Inventory Asset', 'Other Current Asset', 'Inventory', 'Asset'],
      ['Undeposited Funds', 'Other Current Asset', 'UndepositedFunds', 'Asset'],
      ['Accounts Receivable (A/R)', 'Accounts Receivable', 'AccountsReceivable', 'Asset'],
      ['Cost of Goods Sold', 'Cost of Goods Sold', 'SuppliesMaterialsCogs', 'Expense'],
    ]) {
      add('Account', { Name: accountName, FullyQualifiedName: accountName, AccountType, AccountSubType, Classification, Active: true, SubAccount: false, CurrentBalance: 0, CurrentBalanceWithSubAccounts: 0, CurrencyRef: { value: 'USD', name: 'United States Dollar' } });
    }
    add('TaxCode', { Name: 'TAX', Description: 'Taxable', Taxable: true, TaxGroup: false, Active: true });
    add('TaxCode', { Name: 'NON', Description: 'Non-taxable', Taxable: false, TaxGroup: false, Active: true });
    for (const [termName, DueDays] of [['Due on receipt', 0], ['Net 15', 15], ['Net 30', 30], ['Net 60', 60]] as const) add('Term', { Name: termName, Active: true, Type: 'STANDARD', DueDays });
  }
}

function linkedInvoices(payment: Entity | undefined): string[] {
  if (!payment) return [];
  return ((payment.Line as Line[] | undefined) ?? []).flatMap((l) => ((l.LinkedTxn as { TxnId: string; TxnType: string }[] | undefined) ?? []).filter((t) => t.TxnType === 'Invoice').map((t) => String(t.TxnId)));
}

function appliedTo(payment: Entity, invoiceId: string): number {
  return ((payment.Line as Line[] | undefined) ?? [])
    .filter((l) => ((l.LinkedTxn as { TxnId: string; TxnType: string }[] | undefined) ?? []).some((t) => t.TxnType === 'Invoice' && String(t.TxnId) === invoiceId))
    .reduce((sum, l) => sum + cents(l.Amount), 0);
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
