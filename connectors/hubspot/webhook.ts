/**
 * HubSpot webhooks, signature v3: `X-HubSpot-Signature-v3` = base64 HMAC-SHA256 of method + URL + body +
 * timestamp with the app's client secret, and `X-HubSpot-Request-Timestamp` no older than five minutes
 * (https://developers.hubspot.com/docs/api/webhooks/validating-requests). One delivery can carry many events.
 */
import type { WebhookDeclaration, WebhookEvent } from '../../src/connector/types.js';
import { sameSignature } from '../shared/signatures.js';

const MAX_AGE_MS = 300_000;
const ENTITY: Record<string, string> = { contact: 'contacts', company: 'companies', deal: 'deals', line_item: 'line_items', product: 'products' };

export const hubspotWebhook: WebhookDeclaration = {
  async verify(request, secret, now) {
    const timestamp = Number(request.headers['x-hubspot-request-timestamp']);
    const given = request.headers['x-hubspot-signature-v3'];
    if (!given || !Number.isFinite(timestamp)) return { ok: false, status: 401, reason: 'missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp' };
    // The SDK's own v3 signature; not its `isValid`, which compares with `===` and reads the clock itself.
    const { Signature } = await import('@hubspot/api-client');
    const expected = Signature.getSignature(request.method, 'v3', { signature: given, clientSecret: secret, requestBody: request.rawBody.toString('utf8'), url: request.url, timestamp });
    if (!sameSignature(expected, given)) return { ok: false, status: 401, reason: 'HubSpot signature does not match' };
    if (now.getTime() - timestamp > MAX_AGE_MS) return { ok: false, status: 400, reason: 'HubSpot request timestamp is older than five minutes (replayed?)' };
    return { ok: true };
  },
  parse(request) {
    const events = JSON.parse(request.rawBody.toString('utf8')) as { eventId: number; subscriptionType: string; objectId: number }[];
    return events.flatMap((e): WebhookEvent[] => {
      const entity = ENTITY[e.subscriptionType.split('.')[0]!];
      return entity ? [{ topic: e.subscriptionType, entity, ids: [String(e.objectId)], deliveryId: String(e.eventId) }] : [];
    });
  },
};
