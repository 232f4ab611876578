/** The QuickBooks connector keeps the promises every connector keeps (test/support/connector-conformance.ts). */
import { connectorConformance } from '../../support/connector-conformance.js';

connectorConformance({
  service: 'quickbooks',
  entity: 'customers',
  payload: (tag) => ({ DisplayName: `Conformance ${tag}`, PrimaryEmailAddr: { Address: `${tag}@conformance.test` } }),
  tagOf: (record) => (typeof record.DisplayName === 'string' ? record.DisplayName.replace('Conformance ', '') : undefined),
  // A property Customer does not have: QuickBooks refuses the object (2010).
  refused: { DisplayName: 'Refused', FavouriteColour: 'blue' },
  wrongCredentials: { refresh_token: 'not-a-refresh-token', access_token: 'not-an-access-token' },
  keepsIdempotencyKeys: true,
  burst: 300,
});
