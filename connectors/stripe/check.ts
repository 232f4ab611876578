/** `ferry check` for Stripe: which account the key belongs to, and what kind of key it is. */
import type { CheckReport } from '../../src/connector/types.js';
import type { StripeClient } from './client.js';

export async function checkStripe(client: StripeClient): Promise<CheckReport> {
  const account = await client.call((sdk) => sdk.accounts.retrieveCurrent());
  const name = account.settings?.dashboard?.display_name ?? account.business_profile?.name ?? account.email ?? account.id;
  const notes = [`${client.mode} mode; ${client.mode === 'test' ? 25 : 100} requests a second (Stripe's)`];
  if (client.restricted) notes.push('a restricted key: a flow fails with a permission error where it lacks a permission');
  return { account: `account ${name} (${account.id})`, notes, problems: [] };
}
