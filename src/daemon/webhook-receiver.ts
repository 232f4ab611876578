/**
 * Webhooks in: `POST /webhooks/<connection>`. The raw body is read (up to a limit), the vendor's
 * signature and replay window are checked by the connector, each event's delivery id is remembered
 * in the ledger so a redelivery is acknowledged and ignored, and the vendor gets its 200 at once:
 * the sync itself happens afterwards, through the flows whose `run.webhook` names the topic.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionSettings, ConnectorRegistry, WebhookEvent, WebhookRequest } from '../connector/types.js';
import type { Coordination } from '../ledger/ledger.js';
import type { Logger } from '../log.js';

export interface WebhookReceiverOptions {
  registry: ConnectorRegistry;
  connections: ReadonlyMap<string, ConnectionSettings>;
  ledger: Pick<Coordination, 'rememberDelivery'>;
  logger: Logger;
  maxBodyBytes: number;
  /** Public base URL vendors post to, when behind a proxy (HubSpot signs the full URL). */
  publicUrl?: string;
  now?: () => Date;
  /** Accepted, new events of a connection; answered once this resolves (queued, where a queue keeps them). */
  onEvents(connection: string, events: WebhookEvent[]): void | Promise<void>;
  onResult?(connection: string, result: 'accepted' | 'duplicate' | 'rejected'): void;
}

/** Delivery ids are kept a week: longer than any vendor retries a delivery (Shopify: 48 hours). */
const DELIVERY_MEMORY_MS = 7 * 24 * 3_600_000;
export const WEBHOOK_PATH = /^\/webhooks\/([A-Za-z0-9_-]+)\/?$/;

export class WebhookReceiver {
  constructor(private readonly options: WebhookReceiverOptions) {}

  async handle(request: IncomingMessage, response: ServerResponse, connectionName: string): Promise<void> {
    const { options } = this;
    const reply = (status: number, body: Record<string, unknown>) => {
      response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify(body));
    };
    const reject = (status: number, reason: string) => {
      options.logger.warn(`webhook rejected`, { connection: connectionName, status, reason, remote: request.socket.remoteAddress });
      options.onResult?.(connectionName, 'rejected');
      reply(status, { error: reason });
    };

    if (request.method !== 'POST') return reject(405, 'webhooks are POSTed');
    const settings = options.connections.get(connectionName);
    const declaration = settings && options.registry.get(settings.connector)?.webhook;
    const secret = settings?.options.webhook_secret;
    if (!settings || !declaration || typeof secret !== 'string' || !secret) {
      return reject(404, `no webhook endpoint for connection '${connectionName}' (it needs a webhook_secret in the config file)`);
    }

    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
      request.resume();
      return reject(413, `body of ${declared} bytes is larger than ${options.maxBodyBytes}`);
    }
    const rawBody = await readBody(request, options.maxBodyBytes);
    if (!rawBody) return reject(413, `body is larger than ${options.maxBodyBytes} bytes`);

    const webhookRequest: WebhookRequest = {
      method: 'POST',
      url: `${options.publicUrl?.replace(/\/$/, '') ?? `http://${request.headers.host ?? 'localhost'}`}${request.url ?? ''}`,
      headers: flatHeaders(request),
      rawBody,
    };
    const now = options.now?.() ?? new Date();
    const verdict = await declaration.verify(webhookRequest, secret, now);
    if (!verdict.ok) return reject(verdict.status, verdict.reason);

    let events: WebhookEvent[];
    try {
      events = declaration.parse(webhookRequest);
    } catch (error) {
      // What went wrong inside the parser is for the log; the sender gets a plain answer.
      options.logger.warn(`webhook body not understood`, { connection: connectionName, error: (error as Error).message });
      return reject(400, `the body is not a ${settings.connector} webhook delivery this endpoint understands`);
    }
    const fresh: WebhookEvent[] = [];
    const forgetBefore = new Date(now.getTime() - DELIVERY_MEMORY_MS);
    for (const event of events) {
      if (!event.deliveryId || (await options.ledger.rememberDelivery(connectionName, event.deliveryId, forgetBefore))) fresh.push(event);
    }
    const duplicate = events.length > 0 && fresh.length === 0;
    options.onResult?.(connectionName, duplicate ? 'duplicate' : 'accepted');
    // Debug level: a busy shop sends thousands; the daemon logs at info what a flow takes up.
    options.logger.debug(duplicate ? `webhook duplicate ignored` : `webhook accepted`, {
      connection: connectionName,
      topics: [...new Set(events.map((e) => e.topic))],
      records: fresh.reduce((n, e) => n + e.ids.length, 0),
    });
    if (fresh.length) await options.onEvents(connectionName, fresh);
    reply(200, { accepted: fresh.length, duplicates: events.length - fresh.length });
  }
}

/** The body as sent (signatures are over the raw bytes), or undefined when it passes the limit. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function flatHeaders(request: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(request.headers)) out[key] = Array.isArray(value) ? value.join(',') : value;
  return out;
}
