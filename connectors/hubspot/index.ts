/** HubSpot CRM v3 on the official `@hubspot/api-client`. See README.md beside this file. */
import { createHash } from 'node:crypto';
import { AUTHORIZE_URL, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, REFRESH_TOKEN, TIMEOUT_MS } from '../shared/options.js';
import { hubSpotAdminUrl, hubSpotLabel } from './admin.js';
import type { ConnectorDeclaration } from '../../src/connector/types.js';
import { hubspotWebhook } from './webhook.js';
import type { HubSpotClient } from './client.js';
import { hubSpotEntity } from './entities.js';

export const hubspot: ConnectorDeclaration<HubSpotClient> = {
  name: 'hubspot',
  description: 'HubSpot CRM v3',
  // The SDK is loaded when a connection is opened, so commands that only read flows start at once.
  open: async (settings, context) => new (await import('./client.js')).HubSpotClient(settings, context),
  // An OAuth install is named by its app and portal (`ferry connect` names the portal), or failing that
  // the refresh token it began with; a private app's token is never rotated, so nothing is saved for it.
  account: (settings) => {
    const { client_id: app, refresh_token: installed, portal_id: portal } = settings.options;
    if (app && portal) return `app ${String(app)}, portal ${String(portal)}`;
    return app && installed ? `app ${String(app)}, install ${createHash('sha256').update(String(installed)).digest('hex').slice(0, 12)}` : undefined;
  },
  connect: async (...args) => (await import('./connect.js')).connectHubSpot(...args),
  requestCount: (client) => client.requests,
  check: async (...args) => (await import('./check.js')).checkHubSpot(...args),
  webhook: hubspotWebhook,
  options: {
    access_token: { type: 'string', secret: true, description: "A private app's access token." },
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    refresh_token: REFRESH_TOKEN,
    portal_id: { type: 'string', description: 'The HubSpot account (portal) a public app was installed in; `ferry connect` names it.' },
    scopes: { type: 'string', description: '`ferry connect`: the scopes a public app asks for, space-separated.' },
    authorize_url: AUTHORIZE_URL,
    redirect_uri: REDIRECT_URI,
    requests_per_ten_seconds: { type: 'number', description: "A ceiling on requests per 10 seconds; without it Ferry starts at 190 and follows HubSpot's headers." },
    searches_per_second: { type: 'number', description: 'Search requests a second (5).' },
    timeout_ms: TIMEOUT_MS,
  },
  label: hubSpotLabel,
  adminUrl: hubSpotAdminUrl,
  entities: {
    contacts: hubSpotEntity({ type: 'contacts', description: 'contacts (email is unique)', properties: ['email', 'firstname', 'lastname', 'phone', 'company', 'lifecyclestage'], matchFields: ['email', 'ferry_source_id'], modified: 'lastmodifieddate' }),
    companies: hubSpotEntity({ type: 'companies', description: 'companies', properties: ['name', 'domain', 'phone', 'address', 'city', 'state', 'zip', 'country', 'ferry_source_id'], matchFields: ['ferry_source_id', 'hs_object_id'], modified: 'hs_lastmodifieddate' }),
    deals: hubSpotEntity({
      type: 'deals',
      description: 'deals in the default pipeline, with their company ids and line items',
      associations: { companies: true, lineItems: ['name', 'quantity', 'price', 'amount', 'hs_sku', 'hs_product_id'] },
      properties: ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'ferry_payment_status', 'ferry_amount_collected', 'ferry_paid_date', 'ferry_source_id'],
      // A deal Ferry did not create (one a salesperson won) is updated by its id: `match: { field: hs_object_id }`.
      matchFields: ['ferry_source_id', 'hs_object_id'],
      modified: 'hs_lastmodifieddate',
    }),
    line_items: hubSpotEntity({ type: 'line_items', description: 'line items of deals', properties: ['name', 'quantity', 'price', 'amount', 'hs_product_id', 'hs_sku', 'ferry_source_id'], matchFields: ['ferry_source_id'], modified: 'hs_lastmodifieddate' }),
    products: hubSpotEntity({ type: 'products', description: 'products (SKU in hs_sku)', properties: ['name', 'price', 'hs_sku', 'ferry_source_id'], matchFields: ['ferry_source_id'], modified: 'hs_lastmodifieddate' }),
  },
};
