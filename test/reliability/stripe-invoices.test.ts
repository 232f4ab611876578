/**
 * A write made of several calls is `synced` only in its final state. A Stripe invoice is a draft, one
 * item per line, a finalization and a send; under a storm of 429s any step can fail, and the retry, the
 * next run or a crash settlement must finish the steps left, never stop at "the draft exists". After a
 * run with 30% of Stripe's answers 429 and then clean runs: every won deal has one invoice, open, with
 * all its lines and its total, sent once.
 */
import qs from 'qs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaults } from '../../emulators/core/faults.js';
import type { EmulatorServer } from '../../emulators/core/server.js';
import { ok as call } from '../../emulators/seed.js';
import { type EmulatedProject, emulatedProject } from '../support/emulated-project.js';

type Json = Record<string, unknown>;
let project: EmulatedProject;
let hubspot: EmulatorServer;
let stripe: EmulatorServer;
const FLOW = 'hubspot-deals-to-stripe-invoices';

beforeAll(async () => {
  project = await emulatedProject(['hubspot', 'stripe'], { seed: 31, dataSize: 'small', rateScale: 10 });
  hubspot = project.emulator('hubspot').server;
  stripe = project.emulator('stripe').server;
  // Sales wins every open deal.
  const open = (await call(hubspot, 'POST', '/crm/v3/objects/deals/search', { filterGroups: [{ filters: [{ propertyName: 'dealstage', operator: 'NOT_IN', values: ['closedwon', 'closedlost'] }] }], properties: [], limit: 100 })) as { results: { id: string }[] };
  for (const d of open.results) await call(hubspot, 'PATCH', `/crm/v3/objects/deals/${d.id}`, { properties: { dealstage: 'closedwon' } });
}, 60_000);
afterAll(() => project.close());

async function all(path: string, params: Json = {}): Promise<Json[]> {
  return ((await call(stripe, 'GET', `${path}?${qs.stringify({ limit: 100, ...params })}`)) as { data: Json[] }).data;
}

describe('Stripe invoices under 30% 429s', () => {
  it('end open, with every line, sent once; the ledger calls nothing synced before that', { timeout: 180_000 }, async () => {
    await stripe.inject('PUT', '/__admin/faults', parseFaults('429=0.3'));
    await project.ferry('run', '--all');
    await stripe.inject('PUT', '/__admin/faults', {});
    for (let i = 0; i < 3; i++) {
      const { code } = await project.ferry('run', '--all');
      if (code === 0) break;
    }

    const won = (await call(hubspot, 'POST', '/crm/v3/objects/deals/search', { filterGroups: [{ filters: [{ propertyName: 'dealstage', operator: 'EQ', value: 'closedwon' }] }], properties: ['amount'], limit: 100 })) as { results: { id: string; properties: { amount: string } }[] };
    const invoices = (await all('/v1/invoices')).filter((i) => (i.metadata as Json).hubspot_deal_id);
    const sent = (await all('/v1/events', { type: 'invoice.sent' })).map((e) => ((e.data as Json).object as Json).id);
    const held = JSON.parse((await project.ferry('info', FLOW, '--json')).out).flows[0].failures.filter((f: Json) => f.status === 'held').map((f: Json) => f.sourceId);
    const booked = won.results.filter((d) => !held.includes(d.id));
    expect(booked.length).toBeGreaterThan(3);
    let drafts = 0;
    for (const d of booked) {
      const mine = invoices.filter((i) => (i.metadata as Json).hubspot_deal_id === d.id);
      expect(mine, `deal ${d.id}: one invoice`).toHaveLength(1);
      const invoice = mine[0]!;
      if (invoice.status === 'draft') drafts++;
      expect(invoice.status, `deal ${d.id}`).toBe('open');
      expect(invoice.total, `deal ${d.id}: total`).toBe(Math.round(Number(d.properties.amount) * 100));
      const lineItems = (await call(hubspot, 'GET', `/crm/v4/objects/deals/${d.id}/associations/line_items`)) as { results: unknown[] };
      expect((invoice.lines as { total_count: number }).total_count, `deal ${d.id}: lines`).toBe(lineItems.results.length);
      expect(sent.filter((id) => id === invoice.id), `deal ${d.id}: sent`).toHaveLength(1);
    }
    console.info(`stripe invoices under 429s: ${booked.length} deals invoiced, ${drafts} left as drafts`);
  });
});
