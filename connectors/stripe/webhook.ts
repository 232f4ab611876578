/**
 * Stripe webhooks, checked by the SDK's own verifier (`Stripe.webhooks.constructEvent`):
 * `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, with a five-minute tolerance on `t`
 * measured at `now` (https://docs.stripe.com/webhooks#verify-manually). The event names the object and
 * its id; the delivery id is the event id.
 */
import type { WebhookDeclaration, WebhookEvent } from '../../src/connector/types.js';

const TOLERANCE_S = 300;
const ENTITY: Record<string, string> = { customer: 'customers', invoice: 'invoices', payment_intent: 'payment_intents', charge: 'charges', refund: 'refunds', product: 'products', price: 'prices' };

export const stripeWebhook: WebhookDeclaration = {
  async verify(request, secret, now) {
    const { default: Stripe } = await import('stripe');
    const header = request.headers['stripe-signature'];
    if (!header) return { ok: false, status: 401, reason: 'missing Stripe-Signature header' };
    try {
      Stripe.webhooks.constructEvent(request.rawBody, header, secret, TOLERANCE_S, undefined, now.getTime());
      return { ok: true };
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) return { ok: false, status: 400, reason: 'the body is not a Stripe event' };
      // The signature is checked before the time: a stale one was signed with the secret (a replay).
      if (error.message.startsWith('Timestamp outside the tolerance zone')) return { ok: false, status: 400, reason: 'Stripe signature timestamp is outside the five-minute tolerance (replayed?)' };
      return { ok: false, status: 401, reason: 'Stripe signature does not match' };
    }
  },
  parse(request) {
    const event = JSON.parse(request.rawBody.toString('utf8')) as { id: string; type: string; data: { object: { id: string; object: string } } };
    const entity = ENTITY[event.data.object.object];
    return entity ? [{ topic: event.type, entity, ids: [event.data.object.id], deliveryId: event.id } satisfies WebhookEvent] : [];
  },
};
