/**
 * `ferry check` for Stripe: which account the key belongs to, and what kind of key it is. Stripe has no
 * call that lists a restricted key's permissions, so what the flows read is tried (one object of each
 * resource); writes cannot be tried without writing, and fail with Stripe's permission error if refused.
 */
import type { CheckReport, CheckRequest } from '../../src/connector/types.js';
import { AuthError } from '../../src/errors.js';
import { type StripeClient, STRIPE_REQUESTS_PER_SECOND } from './client.js';

type Listable = { list(params: { limit: number }): Promise<unknown> };

export async function checkStripe(client: StripeClient, request: CheckRequest): Promise<CheckReport> {
  const account = await client.call((sdk) => sdk.accounts.retrieveCurrent());
  const name = account.settings?.dashboard?.display_name ?? account.business_profile?.name ?? account.email ?? account.id;
  const report: CheckReport = { account: `account ${name} (${account.id})`, notes: [`${client.mode} mode; ${STRIPE_REQUESTS_PER_SECOND[client.mode]} requests a second (Stripe's)`], problems: [] };
  if (!client.restricted) return report;
  const reads = new Map<string, string[]>();
  for (const use of request.uses.filter((u) => u.direction === 'read')) reads.set(use.entity, [...(reads.get(use.entity) ?? []), use.flow]);
  for (const [entity, flows] of reads) {
    const resource = entity.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
    try {
      await client.call((sdk) => (sdk as unknown as Record<string, Listable>)[resource]!.list({ limit: 1 }));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      report.problems.push({ problem: `the restricted key cannot read ${entity}, which ${flows.join(', ')} read${flows.length === 1 ? 's' : ''}`, fix: `give the key Read on ${entity} in the Stripe Dashboard (Developers → API keys → edit the key)` });
    }
  }
  report.notes.push(`a restricted key: reading ${[...reads.keys()].join(', ') || 'nothing'} was tried; writes are not, and a write it may not make fails with Stripe's permission error`);
  return report;
}
