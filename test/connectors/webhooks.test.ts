/** Each vendor's webhook details beyond the conformance suite: the SDKs' own signers accepted, stale deliveries by each replay window, and what one delivery says changed (a refund names its order; one QuickBooks delivery, many entities). */
import { createHmac } from 'node:crypto';
import { Signature } from '@hubspot/api-client';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { hubspotWebhook } from '../../connectors/hubspot/webhook.js';
import { quickbooksWebhook } from '../../connectors/quickbooks/webhook.js';
import { shopifyWebhook } from '../../connectors/shopify/webhook.js';
import { stripeWebhook } from '../../connectors/stripe/webhook.js';
import type { WebhookRequest } from '../../src/connector/types.js';

const now = new Date('2026-11-22T12:00:00Z');
const request = (body: string, headers: Record<string, string>, url = 'https://ferry.example/hooks/x'): WebhookRequest => ({ method: 'POST', url, headers, rawBody: Buffer.from(body) });

describe('webhook verification', async () => {
  it('Stripe: the SDK’s own signer is accepted; a wrong secret and an old timestamp are not', async () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { object: { id: 'in_1', object: 'invoice' } } });
    const signer = new Stripe('sk_test_x').webhooks;
    const good = signer.generateTestHeaderString({ payload: body, secret: 'whsec_1', timestamp: now.getTime() / 1000 });
    expect(await stripeWebhook.verify(request(body, { 'stripe-signature': good }), 'whsec_1', now)).toEqual({ ok: true });
    expect(await stripeWebhook.verify(request(body, { 'stripe-signature': good }), 'whsec_2', now)).toMatchObject({ ok: false, status: 401 });
    const old = signer.generateTestHeaderString({ payload: body, secret: 'whsec_1', timestamp: now.getTime() / 1000 - 600 });
    expect(await stripeWebhook.verify(request(body, { 'stripe-signature': old }), 'whsec_1', now)).toMatchObject({ ok: false, status: 400 });
    expect(await stripeWebhook.verify(request(body, {}), 'whsec_1', now)).toMatchObject({ ok: false, status: 401 });
    expect(stripeWebhook.parse(request(body, {}))).toEqual([{ topic: 'invoice.paid', entity: 'invoices', ids: ['in_1'], deliveryId: 'evt_1' }]);
  });

  it('HubSpot v3: the SDK’s signature is accepted; a tampered body and an old timestamp are not', async () => {
    const body = JSON.stringify([{ eventId: 7, subscriptionType: 'deal.propertyChange', objectId: 42 }]);
    const url = 'https://ferry.example/hooks/hubspot';
    const timestamp = now.getTime();
    const signature = Signature.getSignature('POST', 'v3', { signature: '', clientSecret: 'app-secret', requestBody: body, url, timestamp });
    const headers = { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) };
    expect(await hubspotWebhook.verify(request(body, headers, url), 'app-secret', now)).toEqual({ ok: true });
    expect(await hubspotWebhook.verify(request(body.replace('42', '43'), headers, url), 'app-secret', now)).toMatchObject({ ok: false, status: 401 });
    const late = new Date(timestamp + 301_000);
    expect(await hubspotWebhook.verify(request(body, headers, url), 'app-secret', late)).toMatchObject({ ok: false, status: 400 });
    expect(hubspotWebhook.parse(request(body, headers, url))).toEqual([{ topic: 'deal.propertyChange', entity: 'deals', ids: ['42'], deliveryId: '7' }]);
  });

  it('Shopify: base64 HMAC of the raw body; refunds point at their order; stale deliveries refused', async () => {
    const body = JSON.stringify({ id: 9, order_id: 1001 });
    const hmac = createHmac('sha256', 'shpss').update(body).digest('base64');
    const headers = { 'x-shopify-hmac-sha256': hmac, 'x-shopify-topic': 'refunds/create', 'x-shopify-webhook-id': 'w-1', 'x-shopify-triggered-at': now.toISOString() };
    expect(await shopifyWebhook.verify(request(body, headers), 'shpss', now)).toEqual({ ok: true });
    expect(await shopifyWebhook.verify(request(`${body} `, headers), 'shpss', now)).toMatchObject({ ok: false, status: 401 });
    expect(await shopifyWebhook.verify(request(body, { ...headers, 'x-shopify-triggered-at': '2026-11-19T00:00:00Z' }), 'shpss', now)).toMatchObject({ ok: false, status: 400 });
    expect(shopifyWebhook.parse(request(body, headers))).toEqual([{ topic: 'refunds/create', entity: 'orders', ids: ['1001'], deliveryId: 'w-1' }]);
  });

  it('QuickBooks: intuit-signature over the body, one event per changed entity', async () => {
    const body = JSON.stringify({ eventNotifications: [{ realmId: '1', dataChangeEvent: { entities: [{ name: 'Invoice', id: '145', operation: 'Update', lastUpdated: '2026-11-22T11:59:00Z' }, { name: 'Payment', id: '88', operation: 'Create', lastUpdated: '2026-11-22T11:59:01Z' }] } }] });
    const signature = createHmac('sha256', 'verifier').update(body).digest('base64');
    expect(await quickbooksWebhook.verify(request(body, { 'intuit-signature': signature }), 'verifier', now)).toEqual({ ok: true });
    expect(await quickbooksWebhook.verify(request(body, { 'intuit-signature': 'AAAA' }), 'verifier', now)).toMatchObject({ ok: false, status: 401 });
    const dayLater = new Date(now.getTime() + 25 * 3_600_000);
    expect(await quickbooksWebhook.verify(request(body, { 'intuit-signature': signature }), 'verifier', dayLater)).toMatchObject({ ok: false, status: 400 });
    expect(quickbooksWebhook.parse(request(body, {})).map((e) => [e.entity, e.ids[0], e.topic])).toEqual([
      ['invoices', '145', 'Invoice.Update'],
      ['payments', '88', 'Payment.Create'],
    ]);
  });
});
