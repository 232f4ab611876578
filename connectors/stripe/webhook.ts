/**
 * Stripe webhooks: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, with a five-minute
 * tolerance on `t` (https://docs.stripe.com/webhooks#verify-manually). The event names the object and
 * its id; the delivery id is the event id.
 */
import type { WebhookDeclaration, WebhookEvent } from '../../src/connector/types.js';
import { hmac, sameSignature } from '../shared/signatures.js';

const TOLERANCE_S = 300;
const ENTITY: Record<string, string> = { customer: 'customers', invoice: 'invoices', payment_intent: 'payment_intents', charge: 'charges', refund: 'refunds', product: 'products', price: 'prices' };

export const stripeWebhook: WebhookDeclaration = {
  verify(request, secret, now) {
    const header = request.headers['stripe-signature'];
    if (!header) return { ok: false, status: 401, reason: 'missing Stripe-Signature header' };
    const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
    const timestamp = Number(parts.t);
    if (!Number.isFinite(timestamp)) return { ok: false, status: 401, reason: 'Stripe-Signature has no timestamp' };
    const expected = hmac(secret, `${timestamp}.${request.rawBody.toString('utf8')}`, 'hex');
    const signatures = header.split(',').filter((p) => p.startsWith('v1=')).map((p) => p.slice(3));
    if (!signatures.some((s) => sameSignature(expected, s))) return { ok: false, status: 401, reason: 'Stripe signature does not match' };
    if (Math.abs(now.getTime() / 1000 - timestamp) > TOLERANCE_S) return { ok: false, status: 400, reason: 'Stripe signature timestamp is outside the five-minute tolerance (replayed?)' };
    return { ok: true };
  },
  parse(request) {
    const event = JSON.parse(request.rawBody.toString('utf8')) as { id: string; type: string; data: { object: { id: string; object: string } } };
    const entity = ENTITY[event.data.object.object];
    return entity ? [{ topic: event.type, entity, ids: [event.data.object.id], deliveryId: event.id } satisfies WebhookEvent] : [];
  },
};
