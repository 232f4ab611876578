/**
 * `ferry check` for HubSpot: which portal the token reaches, and the properties the flows write. Ferry
 * keys what it writes by a unique `ferry_source_id` on each object type, and the shipped flows keep a
 * few `ferry_` properties of their own; a portal has none of them until they are created, which
 * `--fix` does (unique text for `ferry_source_id`, text for the rest). Other missing properties are the
 * flow's or the portal's to correct.
 */
import type { CheckReport, CheckRequest } from '../../src/connector/types.js';
import type { HttpInfo, HubSpotClient } from './client.js';

type Sdk = HubSpotClient['sdk'];
/** Each object type's default property group, where a created property goes. */
const GROUPS: Record<string, string> = { contacts: 'contactinformation', companies: 'companyinformation', deals: 'dealinformation', line_items: 'lineiteminformation', products: 'productinformation' };

/** A GET the SDK has no typed call for, shaped as its `...WithHttpInfo` answers so it goes through the client's budget. */
export async function getJson<T>(sdk: Sdk, path: string): Promise<HttpInfo<T>> {
  const answer = await sdk.apiRequest({ method: 'GET', path });
  const body = (await answer.json()) as T;
  if (!answer.ok) throw Object.assign(new Error(`HubSpot answered ${answer.status}`), { code: answer.status, body });
  return { data: body, headers: Object.fromEntries(answer.headers.entries()) };
}

export async function checkHubSpot(client: HubSpotClient, request: CheckRequest): Promise<CheckReport> {
  const account = await client.call((sdk) => getJson<{ portalId: number; uiDomain?: string; timeZone?: string }>(sdk, '/account-info/v3/details'));
  const report: CheckReport = { account: `portal ${account.portalId}${account.uiDomain ? ` (${account.uiDomain})` : ''}`, notes: [], problems: [] };
  const wanted = new Map<string, Set<string>>();
  for (const use of request.uses.filter((u) => u.direction === 'write')) {
    const fields = wanted.get(use.entity) ?? new Set(['ferry_source_id']);
    for (const field of use.fields ?? []) fields.add(field);
    wanted.set(use.entity, fields);
  }
  let present = 0;
  for (const [type, fields] of wanted) {
    for (const name of fields) {
      const exists = await client.call((sdk, options) => sdk.crm.properties.coreApi.getByNameWithHttpInfo(type, name, undefined, undefined, options)).then(
        () => true,
        (error: { status?: number }) => (error.status === 404 ? false : Promise.reject(error)),
      );
      if (exists) {
        present++;
        continue;
      }
      const ours = name.startsWith('ferry_');
      if (ours && request.fix) {
        const unique = name === 'ferry_source_id';
        await client.call((sdk, options) =>
          sdk.crm.properties.coreApi.createWithHttpInfo(type, { name, label: name, type: 'string' as never, fieldType: 'text' as never, groupName: GROUPS[type] ?? `${type}information`, hasUniqueValue: unique }, options),
        );
        report.notes.push(`created the ${unique ? 'unique ' : ''}property ${type}.${name}`);
        continue;
      }
      const users = request.uses.filter((u) => u.entity === type && u.direction === 'write').map((u) => u.flow);
      report.problems.push({
        problem: `${type} has no property ${name}, which ${users.join(', ')} write${users.length === 1 ? 's' : ''}`,
        fix: ours ? 'run `ferry check --fix` to create it' : `create it in HubSpot (Settings → Properties → ${type}), or correct the flow`,
      });
    }
  }
  if (present) report.notes.push(`${present} properties the flows write are there`);
  const limits = client.limitsSeen;
  if (limits) report.notes.push(`limits: ${limits.max} requests per ${limits.intervalMs / 1000} s${limits.daily ? `, ${limits.daily} a day (${limits.dailyRemaining} left today)` : ''} (the account's plan, from HubSpot's headers)`);
  return report;
}
