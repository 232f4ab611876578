/** Stripe's connector keeps the promises every connector keeps (test/support/connector-conformance.ts). */
import { connectorConformance } from '../../support/connector-conformance.js';

connectorConformance({
  service: 'stripe',
  entity: 'customers',
  payload: (tag) => ({ email: `${tag}@conformance.test`, name: `Conformance ${tag}` }),
  tagOf: (record) => (typeof record.email === 'string' ? record.email.replace('@conformance.test', '') : undefined),
  refused: { email: 'not an address', name: 'Refused' },
  wrongCredentials: { secret_key: 'sk_test_not_a_key' },
  keepsIdempotencyKeys: true,
  burst: 150,
});
