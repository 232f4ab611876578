/**
 * Settling what a crash left pending adopts exactly what the normal path adopts. Stripe customers
 * without an email (companies) are matched in QuickBooks by display name; a SIGKILL right after
 * QuickBooks accepted their batch must not turn the next run's look-up into a "Duplicate Name Exists"
 * refusal.
 */
import qs from 'qs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../../emulators/seed.js';
import { type EmulatedProject, emulatedProject, quickBooksQuery } from '../support/emulated-project.js';
import { ferryProcess, ledgerCount, UNSETTLED_SQL } from '../support/ferry-process.js';

const FLOW = 'stripe-customers-to-quickbooks-customers';
const COMPANIES = ['Aldgate Joinery', 'Bow Lane Textiles', 'Cheapside Optics', 'Dowgate Press', 'Eastcheap Foods'];
let project: EmulatedProject;

beforeAll(async () => {
  project = await emulatedProject(['stripe', 'quickbooks'], { seed: 14, dataSize: 'small' });
  const stripe = project.emulator('stripe').server;
  for (const name of COMPANIES) {
    await ok(stripe, 'POST', '/v1/customers', qs.stringify({ name, metadata: { hubspot_company_id: name.length } }), { 'content-type': 'application/x-www-form-urlencoded' });
  }
}, 60_000);
afterAll(() => project.close());

describe('settling writes a SIGKILL interrupted', () => {
  it('adopts customers without an email by their name, as an uninterrupted run does', { timeout: 60_000 }, async () => {
    const killed = await ferryProcess(project.cwd, ['run', FLOW], { env: { FERRY_FAILPOINT: 'after-target-write:1' } });
    expect(killed.signal).toBe('SIGKILL');
    expect(ledgerCount(project.cwd, UNSETTLED_SQL)).toBeGreaterThan(0);

    const resumed = await ferryProcess(project.cwd, ['run', FLOW]);
    expect(resumed.code, resumed.output).toBe(0);
    expect(ledgerCount(project.cwd, "SELECT COUNT(*) AS n FROM records WHERE flow = ? AND status = 'dead'", FLOW)).toBe(0);
    expect(ledgerCount(project.cwd, UNSETTLED_SQL)).toBe(0);
    const names = (await quickBooksQuery(project.emulator('quickbooks'), 'Customer')).map((c) => String(c.DisplayName));
    for (const company of COMPANIES) expect(names.filter((n) => n === company), company).toHaveLength(1);
  });
});
