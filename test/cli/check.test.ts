/**
 * `ferry check` against the emulators: the demo's accounts pass; each problem it knows is set up in an
 * emulated account and read back as one line with its fix: a Shopify scope not granted, HubSpot
 * properties missing (and created by --fix), QuickBooks shipping turned off, a refresh token refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FERRY_SCOPES } from '../../emulators/shopify/server.js';
import { type EmulatedProject, emulatedProject } from '../support/emulated-project.js';

let project: EmulatedProject | undefined;
afterEach(async () => {
  await project?.close();
  project = undefined;
});

const ALL = ['shopify', 'hubspot', 'stripe', 'quickbooks'] as const;

describe('ferry check', () => {
  it('passes on the emulated accounts, naming each one', async () => {
    project = await emulatedProject([...ALL], { seed: 3 });
    const check = await project.ferry('check');
    expect(check.err).toBe('');
    expect(check.code).toBe(0);
    expect(check.out.split('\n').filter((l) => !l.startsWith(' '))).toEqual([
      expect.stringMatching(/^shopify \(shopify\): shop ferry-demo \(ferry-demo\.myshopify\.com\); used by \d+ flow\(s\)$/),
      expect.stringMatching(/^hubspot \(hubspot\): portal 62515 \(app\.hubspot\.com\); used by \d+ flow\(s\)$/),
      expect.stringMatching(/^stripe \(stripe\): account Ferry Emulator Co\. \(acct_\w+\); used by \d+ flow\(s\)$/),
      expect.stringMatching(/^quickbooks \(quickbooks\): company Ferry Emulated Books \(realm \d+\); used by \d+ flow\(s\)$/),
      'no problems',
    ]);
    expect(check.out).toMatch(/  ok {7}limits: 190 requests per 10 s, 625000 a day \(\d+ left today\) \(the account's plan, from HubSpot's headers\)/);
  });

  it('names each problem an account has for the flows, with its fix, and exits 1; --fix creates what it can', async () => {
    project = await emulatedProject([...ALL], {
      seed: 3,
      shopify: { scopes: FERRY_SCOPES.filter((s) => s !== 'write_inventory' && s !== 'read_all_orders') },
      hubspot: { ferryProperties: false },
      quickbooks: { allowShipping: false },
    });
    const check = await project.ferry('check');
    expect(check.code).toBe(1);
    const problems = check.out.split('\n').filter((l) => l.startsWith('  PROBLEM'));
    expect(problems).toContain('  PROBLEM  quickbooks-stock-to-shopify needs the write_inventory scope, which the app was not granted');
    expect(problems).toContain(
      '  PROBLEM  shopify-orders-to-quickbooks-invoices, shopify-orders-to-quickbooks-sales-receipts, shopify-refunds-to-quickbooks-credit-memos, shopify-refunds-to-quickbooks-refund-receipts send shipping as a line (SHIPPING_ITEM_ID), and this company has shipping turned off',
    );
    expect(problems).toContain('  PROBLEM  companies has no property ferry_source_id, which quickbooks-customers-to-hubspot-companies writes');
    expect(check.out).toContain('fix: in QuickBooks, Settings → Account and settings → Sales → Sales form content: turn Shipping on');
    expect(check.out).toContain('fix: run `ferry check --fix` to create it');
    expect(check.out).toContain('without read_all_orders, orders older than 60 days cannot be read');

    const fixed = await project.ferry('check', '--fix', '--json');
    const report = JSON.parse(fixed.out) as { connections: { connection: string; notes: string[]; problems: { problem: string }[] }[] };
    const hubspot = report.connections.find((c) => c.connection === 'hubspot')!;
    expect(hubspot.problems).toEqual([]);
    expect(hubspot.notes).toContain('created the unique property companies.ferry_source_id');
    // What --fix cannot do stays a problem: a scope, a company setting.
    expect(report.connections.find((c) => c.connection === 'quickbooks')!.problems).toHaveLength(1);
    expect((await project.ferry('check')).out).not.toContain('has no property');
  });

  it("tries what a restricted Stripe key's flows read, and names each resource it may not", async () => {
    const restricted = 'rk_test_ferry_restricted_000000000000';
    project = await emulatedProject(['stripe', 'quickbooks'], { seed: 3, stripe: { restrictedKey: { key: restricted, resources: ['customers', 'invoices', 'invoiceitems', 'prices'] } } });
    const file = join(project.cwd, 'ferry.yaml');
    const config = JSON.parse(readFileSync(file, 'utf8')) as { connections: { stripe: Record<string, string> } };
    config.connections.stripe.secret_key = restricted;
    writeFileSync(file, JSON.stringify(config));
    const check = await project.ferry('check');
    expect(check.code).toBe(1);
    const problems = check.out.split('\n').filter((l) => l.startsWith('  PROBLEM'));
    expect(problems.sort()).toEqual([
      '  PROBLEM  the restricted key cannot read payment_intents, which stripe-payments-to-quickbooks-payments reads',
      '  PROBLEM  the restricted key cannot read products, which stripe-products-to-quickbooks-items reads',
    ]);
    expect(check.out).toContain('fix: give the key Read on products in the Stripe Dashboard');
    expect(check.out).not.toContain(restricted);
  });

  it('says when a connection cannot authenticate, and how to reconnect, without showing the token', async () => {
    project = await emulatedProject(['quickbooks'], { seed: 3 });
    const file = join(project.cwd, 'ferry.yaml');
    const config = JSON.parse(readFileSync(file, 'utf8')) as { connections: { quickbooks: Record<string, string> } };
    config.connections.quickbooks.refresh_token = 'AB11refusedRefreshToken000000000000';
    writeFileSync(file, JSON.stringify(config));
    const check = await project.ferry('check');
    expect(check.code).toBe(1);
    expect(check.out).toContain("  PROBLEM  QuickBooks refused the refresh token for connection 'quickbooks' (invalid_grant): reconnect the app to the company");
    expect(check.out).toContain('fix: reconnect the app (see the message), then run ferry check again');
    expect(check.out + check.err).not.toContain('AB11refusedRefreshToken');
  });
});
