/**
 * HubSpot's search answers at most 10,000 results per query (asking past that is a 400). With nock
 * standing in for HubSpot's search and batch endpoints, a read of 10,450 changed contacts must come back
 * whole, by starting a new window at the last modification time seen.
 */
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { HubSpotClient } from '../../../connectors/hubspot/client.js';
import { hubspot } from '../../../connectors/hubspot/index.js';

const HOST = 'https://hub.mocked';
const open = () => new HubSpotClient({ name: 'hubspot', connector: 'hubspot', baseUrl: HOST, options: { access_token: 'pat-test', requests_per_ten_seconds: 100_000, searches_per_second: 100_000 } }, {});
afterEach(() => nock.cleanAll());

interface SearchBody {
  filterGroups: { filters: { propertyName: string; operator: string; value: string }[] }[];
  sorts: string[];
  limit: number;
  after?: string;
}

describe('HubSpot search past 10,000 results', () => {
  it('reads every record once the window is split by time, never asking past the cap', async () => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    const contacts = Array.from({ length: 10_450 }, (_, i) => {
      const at = new Date(base + i * 1_000).toISOString();
      return { id: String(i + 1), properties: { email: `c${i}@x.test`, lastmodifieddate: at }, createdAt: at, updatedAt: at, archived: false };
    });
    const asked: { gte: number; after: number }[] = [];
    nock(HOST)
      .persist()
      .post('/crm/v3/objects/contacts/search')
      .reply((_, body) => {
        const search = body as SearchBody;
        const filter = search.filterGroups[0]!.filters[0]!;
        expect(filter).toMatchObject({ propertyName: 'lastmodifieddate', operator: 'GTE' });
        expect(search.sorts).toEqual(['lastmodifieddate']);
        const after = Number(search.after ?? 0);
        asked.push({ gte: Number(filter.value), after });
        if (after + search.limit > 10_000) return [400, { status: 'error', message: 'There was a problem with the request.', category: 'VALIDATION_ERROR' }];
        const matching = contacts.filter((c) => Date.parse(c.properties.lastmodifieddate) >= Number(filter.value));
        const results = matching.slice(after, after + search.limit);
        const next = after + search.limit < matching.length ? { next: { after: String(after + search.limit) } } : undefined;
        return [200, { total: matching.length, results, paging: next }];
      });

    const ids: string[] = [];
    for await (const page of hubspot.entities.contacts!.read!(open(), { since: new Date(base) })) ids.push(...page.records.map((r) => String(r.id)));

    expect(new Set(ids).size).toBe(contacts.length);
    expect(asked.every((a) => a.after + 200 <= 10_000)).toBe(true);
    expect(new Set(asked.map((a) => a.gte)).size).toBe(2);
    // The second window starts at the last modification time the first one saw.
    expect(asked.find((a) => a.gte !== base)!.gte).toBe(Date.parse(contacts[9_999]!.properties.lastmodifieddate));
  });
});
