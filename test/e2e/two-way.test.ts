/**
 * HubSpot companies ↔ QuickBooks customers, both directions, with the shipped flows: each side's own
 * fields travel one way, a change Ferry wrote is never sent back (no ping-pong), and when both sides
 * change the shared phone number the newer change wins, whichever flow runs first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorServer } from '../../emulators/core/server.js';
import { ok as call } from '../../emulators/seed.js';
import { type EmulatedProject, emulatedProject } from '../support/emulated-project.js';

type Json = Record<string, unknown>;
const FORWARD = 'hubspot-companies-to-quickbooks-customers';
const BACK = 'quickbooks-customers-to-hubspot-companies';
let project: EmulatedProject;
let hubspot: EmulatorServer;
let qbo: EmulatorServer;
let realm: string;

const company = async (id: string) => ((await call(hubspot, 'GET', `/crm/v3/objects/companies/${id}?properties=name,phone,address,city,zip`)) as { properties: Record<string, string> }).properties;
const customer = async (id: string) => ((await call(qbo, 'GET', `/v3/company/${realm}/customer/${id}?minorversion=75`)) as { Customer: Json }).Customer;
async function editCustomer(id: string, change: Json): Promise<void> {
  const current = await customer(id);
  await call(qbo, 'POST', `/v3/company/${realm}/customer?minorversion=75`, { Id: id, SyncToken: current.SyncToken, sparse: true, ...change });
}
const editCompany = (id: string, properties: Record<string, string>) => call(hubspot, 'PATCH', `/crm/v3/objects/companies/${id}`, { properties });
/** Timestamps order the changes; QuickBooks keeps them to the second. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 1_100));

/** Both halves, in the order given; the writes each made. */
async function sync(order: [string, string] = [FORWARD, BACK]) {
  const result = await project.ferry('run', ...order, '--json');
  expect(result.err).toBe('');
  const runs = JSON.parse(result.out).runs as { flow: string; counts: Record<string, number> }[];
  for (const run of runs) expect(run.counts, run.flow).toMatchObject({ failed: 0, dead: 0 });
  return Object.fromEntries(runs.map((r) => [r.flow, r.counts.created! + r.counts.updated!])) as Record<string, number>;
}
/** The QuickBooks customer the ledger links to a company. */
async function linked(companyId: string): Promise<string> {
  const trace = JSON.parse((await project.ferry('trace', `hubspot/companies/${companyId}`, '--json')).out) as { children: { key: string; link: { kind: string; flow: string } }[] };
  return trace.children.find((c) => c.link.flow === FORWARD)!.key.split('/').pop()!;
}

beforeAll(async () => {
  project = await emulatedProject(['hubspot', 'quickbooks'], { seed: 8, dataSize: 'small', rateScale: 10 });
  hubspot = project.emulator('hubspot').server;
  qbo = project.emulator('quickbooks').server;
  realm = project.emulator('quickbooks').credentials.realm_id!;
}, 60_000);
afterAll(() => project.close());

describe('HubSpot companies ↔ QuickBooks customers', () => {
  it('carries each side’s fields, never echoes its own writes, and lets the newer phone change win', { timeout: 120_000 }, async () => {
    const companies = ((await call(hubspot, 'GET', '/crm/v3/objects/companies?limit=100&properties=name')) as { results: { id: string; properties: { name: string } }[] }).results;
    expect(companies.length).toBeGreaterThanOrEqual(3);

    // First sync: every company becomes a customer; reading those customers back writes nothing.
    expect(await sync()).toEqual({ [FORWARD]: companies.length, [BACK]: 0 });
    expect(await sync()).toEqual({ [FORWARD]: 0, [BACK]: 0 });
    const [x, y, z] = companies as [(typeof companies)[0], (typeof companies)[0], (typeof companies)[0]];
    const [cx, cy, cz] = [await linked(x.id), await linked(y.id), await linked(z.id)];
    expect((await customer(cx)).DisplayName).toBe(x.properties.name);

    // Finance owns the billing address: it reaches HubSpot, and HubSpot's copy is not sent back.
    await editCustomer(cx, { BillAddr: { Line1: '1 Ledger Lane', City: 'Bookham', PostalCode: '12345' } });
    expect(await sync()).toEqual({ [FORWARD]: 0, [BACK]: 1 });
    expect(await company(x.id)).toMatchObject({ address: '1 Ledger Lane', city: 'Bookham', zip: '12345' });
    expect(await sync()).toEqual({ [FORWARD]: 0, [BACK]: 0 });

    // Sales owns the name: it reaches QuickBooks, and QuickBooks' copy is not sent back, in either order.
    await editCompany(y.id, { name: 'Renamed Supply Co' });
    expect(await sync([BACK, FORWARD])).toEqual({ [FORWARD]: 1, [BACK]: 0 });
    expect(await sync([BACK, FORWARD])).toEqual({ [FORWARD]: 0, [BACK]: 0 });
    expect((await customer(cy)).DisplayName).toBe('Renamed Supply Co');

    // Both change the phone; QuickBooks later. Whichever flow runs first, QuickBooks' number wins.
    await editCompany(z.id, { phone: '+1 555 0100' });
    await tick();
    await editCustomer(cz, { PrimaryPhone: { FreeFormNumber: '+1 555 0200' } });
    await sync([FORWARD, BACK]);
    expect((await company(z.id)).phone).toBe('+1 555 0200');
    expect(((await customer(cz)).PrimaryPhone as Json).FreeFormNumber).toBe('+1 555 0200');

    // Both change it again; HubSpot later this time, and the other flow runs first.
    await editCustomer(cz, { PrimaryPhone: { FreeFormNumber: '+1 555 0300' } });
    await tick();
    await editCompany(z.id, { phone: '+1 555 0400' });
    await sync([BACK, FORWARD]);
    expect((await company(z.id)).phone).toBe('+1 555 0400');
    expect(((await customer(cz)).PrimaryPhone as Json).FreeFormNumber).toBe('+1 555 0400');

    // And then it settles: a conflict costs at most one more round, never a loop.
    await sync();
    expect(await sync()).toEqual({ [FORWARD]: 0, [BACK]: 0 });
    // A field one side did not touch is not overwritten: the address finance set is still there.
    expect(await company(x.id)).toMatchObject({ address: '1 Ledger Lane' });
  });
});
