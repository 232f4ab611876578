/**
 * A generated multi-tenant setup: one deployment serving many stores, each with its own Shopify shop,
 * HubSpot portal, Stripe account and QuickBooks company. Every tenant gets its own connections
 * (`<tenant>-shopify`, …) and its own copy of the shipped flows, renamed `<tenant>-<flow>` and bound to
 * its connections by name; the `$lookup`s between flows point at the tenant's own flows. This is how
 * an agency writes such a config by hand or by script: nothing in Ferry knows about tenants.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import type { RunningEmulator } from '../emulators/index.js';

export interface Tenant {
  name: string;
  emulators: RunningEmulator[];
}

/** A tenant's work: every order booked (as an invoice or a sales receipt), and its HubSpot companies billed in Stripe. */
export const TENANT_FLOWS = [
  'shopify-customers-to-quickbooks',
  'shopify-products-to-quickbooks-items',
  'shopify-orders-to-quickbooks-invoices',
  'shopify-orders-to-quickbooks-sales-receipts',
  'hubspot-companies-to-stripe-customers',
];

const SHIPPED_FLOWS = resolve(import.meta.dirname, '../flows');
export const tenantFlow = (tenant: string, flow: string) => `${tenant}-${flow}`;

/** One flow file of one tenant: renamed, bound to the tenant's connections, looking up the tenant's flows. */
function tenantFlowFile(tenant: string, flow: string, schedule: string): string {
  let text = readFileSync(join(SHIPPED_FLOWS, `${flow}.yaml`), 'utf8');
  for (const other of TENANT_FLOWS) text = text.replaceAll(`'${other}'`, `'${tenantFlow(tenant, other)}'`);
  const doc = parseDocument(text);
  doc.set('name', tenantFlow(tenant, flow));
  for (const side of ['source', 'target']) doc.setIn([side, 'connection'], `${tenant}-${String(doc.getIn([side, 'connector']))}`);
  const dependsOn = doc.get('depends_on');
  if (dependsOn) doc.set('depends_on', (doc.toJS() as { depends_on: string[] }).depends_on.map((d) => tenantFlow(tenant, d)));
  doc.setIn(['run', 'schedule'], schedule);
  return doc.toString({ lineWidth: 0 });
}

/**
 * Writes `ferry.yaml` and `flows/` for the tenants into `dir`: every flow on `schedule`, the ledger at
 * `ledger` (a PostgreSQL URL for several workers). Returns the config file's path.
 */
export function writeTenantSetup(dir: string, tenants: Tenant[], ledger: string, schedule: string): string {
  const flows = join(dir, 'flows');
  mkdirSync(flows, { recursive: true });
  const connections: Record<string, Record<string, string>> = {};
  for (const tenant of tenants) {
    for (const e of tenant.emulators) connections[`${tenant.name}-${e.service}`] = { connector: e.service, base_url: e.url, ...e.credentials };
    for (const flow of TENANT_FLOWS) writeFileSync(join(flows, `${tenantFlow(tenant.name, flow)}.yaml`), tenantFlowFile(tenant.name, flow, schedule));
  }
  const config = join(dir, 'ferry.yaml');
  writeFileSync(config, stringify({ flows: 'flows', ledger, secrets_file: 'ferry.secrets.json', log: { file: 'ferry.log', level: 'warn' }, connections }));
  return config;
}
