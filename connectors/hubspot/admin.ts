/** HubSpot records as a salesperson knows them (the deal's name), and their pages in HubSpot. */
import type { ConnectionSettings, JsonObject } from '../../src/connector/types.js';
import { firstValue } from '../shared/labels.js';

const LABELS: Record<string, readonly string[]> = { contacts: ['email'], companies: ['name', 'domain'], deals: ['dealname'], line_items: ['name'], products: ['name'] };
/** HubSpot's object type ids, as its record URLs spell them. */
const OBJECT_TYPE_IDS: Record<string, string> = { contacts: '0-1', companies: '0-2', deals: '0-3', products: '0-7', line_items: '0-8' };

export function hubSpotLabel(entity: string, record: JsonObject): string | undefined {
  if (entity === 'contacts' && (record.firstname || record.lastname)) return [record.firstname, record.lastname].filter(Boolean).join(' ');
  return firstValue(record, LABELS[entity] ?? []);
}

/** https://app.hubspot.com/contacts/{portal}/record/0-3/{id}: needs the connection's portal_id (set by `ferry connect`, or in the config). */
export function hubSpotAdminUrl(settings: ConnectionSettings, entity: string, id: string): string | undefined {
  const portal = settings.options.portal_id;
  const type = OBJECT_TYPE_IDS[entity];
  return portal && type ? `https://app.hubspot.com/contacts/${encodeURIComponent(String(portal))}/record/${type}/${encodeURIComponent(id)}` : undefined;
}
