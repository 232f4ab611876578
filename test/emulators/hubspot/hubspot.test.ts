/** The HubSpot emulator driven by `@hubspot/api-client` and by plain HTTP. */
import { Client, Signature } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/models/AssociationSpec.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubSpot, type RunningHubSpot } from '../../../emulators/hubspot/index.js';
import { startReceiver } from '../../support/webhook-receiver.js';

let emu: RunningHubSpot;
let hubspot: Client;

beforeAll(async () => {
  emu = await startHubSpot({ requestsPerTenSeconds: 100_000, searchPerSecond: 100_000 });
  hubspot = new Client({ accessToken: emu.accessToken, basePath: emu.url });
});
afterAll(() => emu.close());

const statusOf = (e: unknown) => (e as { code: number }).code;
const bodyOf = (e: unknown) => (e as { body: { category: string; message: string } }).body;

describe('HubSpot emulator', () => {
  it('refuses a wrong token with HubSpot’s 401', async () => {
    const wrong = new Client({ accessToken: 'pat-wrong', basePath: emu.url });
    const error = await wrong.crm.contacts.basicApi.getPage().catch((e: unknown) => e);
    expect(statusOf(error)).toBe(401);
    expect(bodyOf(error).category).toBe('INVALID_AUTHENTICATION');
  });

  it('creates, reads and updates contacts, and pages with after', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await hubspot.crm.contacts.basicApi.create({ properties: { email: `p${i}@hub.test`, firstname: `P${i}` }, associations: [] })).id);
    const updated = await hubspot.crm.contacts.basicApi.update(ids[0]!, { properties: { lastname: 'Updated' } });
    expect(updated.properties.lastname).toBe('Updated');
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await hubspot.crm.contacts.basicApi.getPage(5, after, ['email']);
      seen.push(...page.results.map((r) => r.id));
      after = page.paging?.next?.after;
    } while (after);
    expect(seen).toEqual(ids);
    const byEmail = await hubspot.crm.contacts.basicApi.getById('p3@hub.test', ['firstname'], undefined, undefined, undefined, 'email');
    expect(byEmail.properties.firstname).toBe('P3');
  });

  it('refuses unknown properties, bad deal stages and duplicate emails with VALIDATION_ERROR', async () => {
    const unknown = await hubspot.crm.contacts.basicApi.create({ properties: { colour: 'red' }, associations: [] }).catch((e: unknown) => e);
    expect(statusOf(unknown)).toBe(400);
    expect(bodyOf(unknown)).toMatchObject({ category: 'VALIDATION_ERROR' });
    expect(bodyOf(unknown).message).toContain('PROPERTY_DOESNT_EXIST');
    const stage = await hubspot.crm.deals.basicApi.create({ properties: { dealname: 'X', dealstage: 'won-ish' }, associations: [] }).catch((e: unknown) => e);
    expect(bodyOf(stage).message).toContain('INVALID_OPTION');
    const duplicate = await hubspot.crm.contacts.basicApi.create({ properties: { email: 'p1@hub.test' }, associations: [] }).catch((e: unknown) => e);
    expect(bodyOf(duplicate).message).toContain('OBJECT_ALREADY_EXISTS');
  });

  it('batch upserts by a unique idProperty: the same inputs twice create nothing the second time', async () => {
    const inputs = Array.from({ length: 100 }, (_, i) => ({ id: `ferry-${i}`, idProperty: 'ferry_source_id', properties: { name: `Company ${i}`, domain: `c${i}.test` } }));
    const first = await hubspot.crm.companies.batchApi.upsert({ inputs });
    expect(first.results.filter((r) => r._new)).toHaveLength(100);
    const second = await hubspot.crm.companies.batchApi.upsert({ inputs: inputs.map((i) => ({ ...i, properties: { ...i.properties, city: 'Springfield' } })) });
    expect(second.results.filter((r) => r._new)).toHaveLength(0);
    const all = await hubspot.crm.companies.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'city', operator: FilterOperatorEnum.Eq, value: 'Springfield' }] }], limit: 1, properties: [], sorts: [], after: '0' });
    expect(all.total).toBe(100);
    const tooMany = await hubspot.crm.companies.batchApi.upsert({ inputs: [...inputs, { id: 'x', idProperty: 'ferry_source_id', properties: {} }] }).catch((e: unknown) => e);
    expect(statusOf(tooMany)).toBe(400);
  });

  it('a batch with some bad inputs answers 207 and saves the good ones', async () => {
    const response = await fetch(`${emu.url}/crm/v3/objects/products/batch/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ properties: { name: 'Good', price: '10' } }, { properties: { name: 'Bad', price: 'ten' } }] }),
    });
    expect(response.status).toBe(207);
    const body = (await response.json()) as { results: unknown[]; numErrors: number; errors: { context: { index: string[] } }[] };
    expect(body.results).toHaveLength(1);
    expect(body).toMatchObject({ numErrors: 1, errors: [{ context: { index: ['1'] } }] });
  });

  it('searches by last-modified time, sorted, and refuses paging past 10,000 results', async () => {
    const before = new Date().toISOString();
    const deal = await hubspot.crm.deals.basicApi.create({ properties: { dealname: 'Recent', dealstage: 'closedwon', amount: '1200.50' }, associations: [] });
    const found = await hubspot.crm.deals.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: FilterOperatorEnum.Gte, value: before }, { propertyName: 'dealstage', operator: FilterOperatorEnum.Eq, value: 'closedwon' }] }],
      sorts: ['hs_lastmodifieddate'],
      properties: ['dealname', 'amount'],
      limit: 10,
      after: '0',
    });
    expect(found.results.map((r) => r.id)).toEqual([deal.id]);
    expect(found.results[0]!.properties.amount).toBe('1200.50');
    const deep = await hubspot.crm.deals.searchApi.doSearch({ filterGroups: [], sorts: [], properties: [], limit: 100, after: '9950' }).catch((e: unknown) => e);
    expect(statusOf(deep)).toBe(400);
  });

  it('associates deals with companies and line items, and computes line item amounts', async () => {
    const company = await hubspot.crm.companies.basicApi.create({ properties: { name: 'Buyer Inc' }, associations: [] });
    const deal = await hubspot.crm.deals.basicApi.create({
      properties: { dealname: 'Big deal', dealstage: 'contractsent' },
      associations: [{ to: { id: company.id }, types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: 341 }] }],
    });
    const line = await hubspot.crm.lineItems.basicApi.create({ properties: { name: 'Widget', quantity: '3', price: '19.99' }, associations: [] });
    expect(line.properties.amount).toBe('59.97');
    await hubspot.crm.associations.v4.basicApi.createDefault('deals', deal.id, 'line_items', line.id);
    const withAssociations = await hubspot.crm.deals.basicApi.getById(deal.id, ['dealname'], undefined, ['companies', 'line_items']);
    expect(withAssociations.associations?.companies?.results.map((r) => r.id)).toEqual([company.id]);
    expect(withAssociations.associations?.line_items?.results.map((r) => r.id)).toEqual([line.id]);
  });

  it('signs webhooks with v3 signatures that the SDK’s Signature.isValid accepts', async () => {
    const receiver = await startReceiver('/hooks/hubspot');
    const url = receiver.url;
    await fetch(`${emu.url}/__admin/webhooks`, { method: 'POST', body: JSON.stringify({ url, clientSecret: 'hub-secret', subscriptions: ['deal.propertyChange'] }) });
    const deal = await hubspot.crm.deals.basicApi.create({ properties: { dealname: 'Hooked', dealstage: 'contractsent' }, associations: [] });
    await hubspot.crm.deals.basicApi.update(deal.id, { properties: { dealstage: 'closedwon' } });
    await emu.emulator.settled();
    await receiver.close();
    const received = receiver.received.map((r) => ({ body: r.body, signature: String(r.headers['x-hubspot-signature-v3']), timestamp: String(r.headers['x-hubspot-request-timestamp']) }));
    expect(received).toHaveLength(1);
    const [event] = JSON.parse(received[0]!.body) as { subscriptionType: string; objectId: number; propertyName: string; propertyValue: string }[];
    expect(event).toMatchObject({ subscriptionType: 'deal.propertyChange', objectId: Number(deal.id), propertyName: 'dealstage', propertyValue: 'closedwon' });
    const options = { signatureVersion: 'v3', method: 'POST', url, requestBody: received[0]!.body, timestamp: Number(received[0]!.timestamp) };
    expect(Signature.isValid({ ...options, signature: received[0]!.signature, clientSecret: 'hub-secret' })).toBe(true);
    expect(Signature.isValid({ ...options, signature: received[0]!.signature, clientSecret: 'other' })).toBe(false);
  });
});

describe('HubSpot emulator rate limits', () => {
  it('limits the search API to 5 requests a second, on its own', async () => {
    const limited = await startHubSpot({ requestsPerTenSeconds: 190 });
    try {
      const search = () => fetch(`${limited.url}/crm/v3/objects/deals/search`, { method: 'POST', headers: { authorization: `Bearer ${limited.accessToken}`, 'content-type': 'application/json' }, body: '{}' });
      const statuses = await Promise.all(Array.from({ length: 20 }, () => search().then((r) => r.status)));
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    } finally {
      await limited.close();
    }
  });

  it('holds the ten-second rolling limit under 1,000 concurrent requests, with its headers', async () => {
    const limited = await startHubSpot({ requestsPerTenSeconds: 190 });
    try {
      const responses = await Promise.all(Array.from({ length: 1_000 }, () => fetch(`${limited.url}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${limited.accessToken}` } })));
      expect(responses.filter((r) => r.status === 200)).toHaveLength(190);
      expect(responses.filter((r) => r.status === 429)).toHaveLength(810);
      const ok = responses.find((r) => r.status === 200)!;
      expect(ok.headers.get('x-hubspot-ratelimit-max')).toBe('190');
      expect(ok.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
      const limitedBody = (await responses.find((r) => r.status === 429)!.json()) as { policyName: string; category: string };
      expect(limitedBody).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING', category: 'RATE_LIMITS' });
    } finally {
      await limited.close();
    }
  });
});
