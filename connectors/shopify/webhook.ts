/**
 * Shopify webhooks: `X-Shopify-Hmac-Sha256` = base64 HMAC-SHA256 of the raw body with the app's secret
 * (https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook). The signature
 * carries no time, so replays are judged by `X-Shopify-Triggered-At` (Shopify retries for up to 48 hours)
 * and de-duplicated by `X-Shopify-Webhook-Id`.
 */
import type { WebhookDeclaration } from '../../src/connector/types.js';
import { hmac, sameSignature } from '../shared/signatures.js';

const MAX_AGE_MS = 48 * 3_600_000;
const ENTITY: Record<string, string> = { customers: 'customers', orders: 'orders', products: 'products', refunds: 'orders', fulfillments: 'orders', order_transactions: 'orders', inventory_levels: 'inventory_levels' };

export const shopifyWebhook: WebhookDeclaration = {
  verify(request, secret, now) {
    const given = request.headers['x-shopify-hmac-sha256'];
    if (!sameSignature(hmac(secret, request.rawBody, 'base64'), given)) return { ok: false, status: 401, reason: given ? 'Shopify HMAC does not match' : 'missing X-Shopify-Hmac-Sha256 header' };
    const triggered = Date.parse(request.headers['x-shopify-triggered-at'] ?? '');
    if (Number.isFinite(triggered) && now.getTime() - triggered > MAX_AGE_MS) return { ok: false, status: 400, reason: 'Shopify webhook is older than Shopify retries for (replayed?)' };
    return { ok: true };
  },
  parse(request) {
    const topic = request.headers['x-shopify-topic'] ?? '';
    const entity = ENTITY[topic.split('/')[0]!];
    const body = JSON.parse(request.rawBody.toString('utf8')) as { id?: number; order_id?: number; inventory_item_id?: number };
    // Refunds, transactions and fulfillments change their order: sync the order.
    const id = topic.startsWith('refunds/') || topic.startsWith('fulfillments/') || topic.startsWith('order_transactions/') ? body.order_id : (body.id ?? body.inventory_item_id);
    return entity && id !== undefined ? [{ topic, entity, ids: [String(id)], deliveryId: request.headers['x-shopify-webhook-id'] }] : [];
  },
};
