/**
 * QuickBooks webhooks: `intuit-signature` = base64 HMAC-SHA256 of the body with the app's verifier token
 * (https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks). The payload has no delivery id
 * or signed time; each entity change carries `lastUpdated`, which is what replays are judged by.
 */
import { createHash } from 'node:crypto';
import type { WebhookDeclaration, WebhookEvent } from '../../src/connector/types.js';
import { hmac, sameSignature } from '../shared/signatures.js';

/**
 * Intuit signs no time, but every change in the signed body carries `lastUpdated`. A body whose newest
 * change is older than this is a replay: Intuit retries a failed delivery for a few hours, not a day.
 */
const MAX_AGE_MS = 24 * 3_600_000;
const ENTITY: Record<string, string> = { Customer: 'customers', Item: 'items', Invoice: 'invoices', Payment: 'payments', SalesReceipt: 'sales_receipts', CreditMemo: 'credit_memos' };

export const quickbooksWebhook: WebhookDeclaration = {
  verify(request, secret, now) {
    const given = request.headers['intuit-signature'];
    if (!sameSignature(hmac(secret, request.rawBody, 'base64'), given)) return { ok: false, status: 401, reason: given ? 'intuit-signature does not match' : 'missing intuit-signature header' };
    const changes = changesOf(request.rawBody).map((e) => Date.parse(e.lastUpdated)).filter(Number.isFinite);
    if (changes.length && now.getTime() - Math.max(...changes) > MAX_AGE_MS) return { ok: false, status: 400, reason: 'QuickBooks webhook changes are older than a day (replayed?)' };
    return { ok: true };
  },
  parse(request) {
    const body = parseBody(request.rawBody);
    const deliveryId = createHash('sha256').update(request.rawBody).digest('hex').slice(0, 32);
    return (body.eventNotifications ?? []).flatMap((n) =>
      (n.dataChangeEvent?.entities ?? []).flatMap((e): WebhookEvent[] => {
        const entity = ENTITY[e.name];
        return entity ? [{ topic: `${e.name}.${e.operation}`, entity, ids: [e.id], deliveryId: `${deliveryId}:${e.name}:${e.id}:${e.lastUpdated}` }] : [];
      }),
    );
  },
};

interface QuickBooksNotification {
  eventNotifications?: { dataChangeEvent?: { entities?: { name: string; id: string; operation: string; lastUpdated: string }[] } }[];
}

function parseBody(rawBody: Buffer): QuickBooksNotification {
  return JSON.parse(rawBody.toString('utf8')) as QuickBooksNotification;
}

function changesOf(rawBody: Buffer): { lastUpdated: string }[] {
  try {
    return (parseBody(rawBody).eventNotifications ?? []).flatMap((n) => n.dataChangeEvent?.entities ?? []);
  } catch {
    return [];
  }
}
