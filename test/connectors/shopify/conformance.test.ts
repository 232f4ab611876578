/** The Shopify connector keeps the promises every connector keeps (test/support/connector-conformance.ts). */
import { connectorConformance } from '../../support/connector-conformance.js';

connectorConformance({
  service: 'shopify',
  entity: 'customers',
  payload: (tag) => ({ email: `${tag}@conformance.test`, first_name: 'Conformance', last_name: tag }),
  tagOf: (record) => (typeof record.email === 'string' ? record.email.replace('@conformance.test', '') : undefined),
  refused: { email: 'not an address', first_name: 'Refused' },
  wrongCredentials: { client_secret: 'not-the-secret' },
  // Shopify keeps no idempotency keys for these mutations: the connector looks before it creates again.
  keepsIdempotencyKeys: false,
  burst: 60,
});
