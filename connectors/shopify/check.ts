/**
 * `ferry check` for Shopify: which shop the app reaches, and each flow's scopes against those the app
 * holds (`currentAppInstallation.accessScopes`). A scope missing fails the flow at its first request.
 */
import type { CheckReport, CheckRequest } from '../../src/connector/types.js';
import type { ShopifyClient } from './client.js';
import { CHECK } from './documents.js';

/** What reading or writing each entity asks of the app (the connector's README lists the same). */
const SCOPES: Record<string, { read: string[]; write: string[] }> = {
  orders: { read: ['read_orders'], write: [] },
  transactions: { read: ['read_orders'], write: [] },
  refunds: { read: ['read_orders'], write: [] },
  customers: { read: ['read_customers'], write: ['read_customers', 'write_customers'] },
  products: { read: ['read_products'], write: [] },
  inventory_levels: { read: [], write: ['read_products', 'read_inventory', 'write_inventory', 'read_locations'] },
};

export async function checkShopify(client: ShopifyClient, request: CheckRequest): Promise<CheckReport> {
  const data = await client.graphql<{ shop: { name: string; myshopifyDomain: string }; currentAppInstallation: { accessScopes: { handle: string }[] } }>(CHECK);
  const granted = new Set(data.currentAppInstallation.accessScopes.map((s) => s.handle));
  const report: CheckReport = { account: `shop ${data.shop.name} (${data.shop.myshopifyDomain})`, notes: [], problems: [] };
  const missing = new Map<string, Set<string>>();
  for (const use of request.uses) {
    for (const scope of SCOPES[use.entity]?.[use.direction] ?? []) {
      // A write scope implies its read scope (Shopify grants write_x with read_x).
      if (granted.has(scope) || granted.has(scope.replace(/^read_/, 'write_'))) continue;
      missing.set(scope, (missing.get(scope) ?? new Set()).add(use.flow));
    }
  }
  for (const [scope, flows] of missing) {
    report.problems.push({
      problem: `${[...flows].join(', ')} need${flows.size === 1 ? 's' : ''} the ${scope} scope, which the app was not granted`,
      fix: `add ${scope} to the app's scopes in the Dev Dashboard, release a new version, and approve it on the store`,
    });
  }
  if (request.uses.some((u) => SCOPES[u.entity]?.read.includes('read_orders') && u.direction === 'read') && !granted.has('read_all_orders')) {
    report.notes.push('without read_all_orders, orders older than 60 days cannot be read (a first sync of history needs it)');
  }
  const bucket = client.budget.seen;
  if (bucket) report.notes.push(`cost bucket ${bucket.maximumAvailable} points, restoring ${bucket.restoreRate} a second (the shop's plan)`);
  return report;
}
