/**
 * `$creditExceeded(customerId, amount)` for rules: would this document take the customer past their
 * credit limit? Exposure is the customer's open balance in the target (as its connector reads it, once
 * per run) plus every amount this check has already let through in the same run, because documents
 * written earlier in the run are not in the balance read at its start. A customer without a limit (or
 * with 0) has none. Amounts let through whose write then fails stay counted until
 * the next run, which errs on the side of holding.
 */
import { addMoney, toCents } from './money.js';

/** A customer's credit as the target keeps it; undefined when the customer is not there. */
export type CreditFetcher = (customerId: string) => Promise<{ limit?: number | string; balance?: number | string } | undefined>;

export function creditCheck(fetchCredit: CreditFetcher): (customerId: unknown, amount: unknown) => Promise<boolean> {
  const exposure = new Map<string, { limit: number | undefined; committed: number }>();
  return async (customerId, amount) => {
    if (customerId === undefined || customerId === null || customerId === '') return false;
    const id = String(customerId);
    let account = exposure.get(id);
    if (!account) {
      const credit = await fetchCredit(id);
      const limit = Number(credit?.limit ?? 0);
      account = { limit: limit > 0 ? limit : undefined, committed: Number(credit?.balance ?? 0) };
      exposure.set(id, account);
    }
    if (account.limit === undefined) return false;
    const after = addMoney(account.committed, amount as number | string);
    if (toCents(after) > toCents(account.limit)) return true;
    account.committed = after;
    return false;
  };
}
