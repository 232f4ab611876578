/**
 * `$creditExceeded(customerId, amount)` for rules: would this document take the customer past their
 * credit limit? Exposure is the customer's open balance in the target (QuickBooks `Balance`, read once
 * per run) plus every amount this check has already let through in the same run, because documents
 * written earlier in the run are not in the balance read at its start. A customer without a
 * `CreditLimit` (or with 0) has no limit. Amounts let through whose write then fails stay counted until
 * the next run, which errs on the side of holding.
 */
import type { JsonObject } from '../connector/types.js';
import { addMoney, toCents } from './money.js';

export type CustomerFetcher = (customerId: string) => Promise<JsonObject | undefined>;

export function creditCheck(fetchCustomer: CustomerFetcher): (customerId: unknown, amount: unknown) => Promise<boolean> {
  const exposure = new Map<string, { limit: number | undefined; committed: number }>();
  return async (customerId, amount) => {
    if (customerId === undefined || customerId === null || customerId === '') return false;
    const id = String(customerId);
    let account = exposure.get(id);
    if (!account) {
      const customer = await fetchCustomer(id);
      const limit = Number(customer?.CreditLimit ?? 0);
      account = { limit: limit > 0 ? limit : undefined, committed: Number(customer?.Balance ?? 0) };
      exposure.set(id, account);
    }
    if (account.limit === undefined) return false;
    const after = addMoney(account.committed, amount as number | string);
    if (toCents(after) > toCents(account.limit)) return true;
    account.committed = after;
    return false;
  };
}
