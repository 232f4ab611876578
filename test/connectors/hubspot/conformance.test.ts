/** HubSpot's connector keeps the promises every connector keeps (test/support/connector-conformance.ts). */
import { connectorConformance } from '../../support/connector-conformance.js';

connectorConformance({
  service: 'hubspot',
  entity: 'contacts',
  payload: (tag) => ({ email: `${tag}@conformance.test`, firstname: 'Conformance', lastname: tag }),
  tagOf: (record) => {
    const email = (record.properties as Record<string, unknown> | undefined)?.email ?? record.email;
    return typeof email === 'string' ? email.replace('@conformance.test', '') : undefined;
  },
  refused: { email: 'not an address', firstname: 'Refused' },
  wrongCredentials: { access_token: 'pat-na1-not-a-token' },
  keepsIdempotencyKeys: true,
  burst: 2_000,
});
