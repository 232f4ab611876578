/**
 * The sync-info page, live at the daemon's `/`: read-only, the same page `ferry info --html` writes,
 * refreshed every half minute. On loopback (the default) anyone on the machine may read it, as they may
 * read the ledger's reports; bound to any other address it asks for the configured bearer token, and
 * without one it is not served at all, since it names customers and amounts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionSettings, ConnectorRegistry } from '../connector/types.js';
import type { Flow } from '../flow/types.js';
import type { ReportSource } from '../ledger/ledger.js';
import { recordPresenter } from '../report/present.js';
import { renderHtml } from '../report/render-html.js';
import { buildSyncInfo } from '../report/sync-info.js';

export interface LivePageOptions {
  ledger: ReportSource;
  flows: Flow[];
  registry: ConnectorRegistry;
  connectionSettings: ReadonlyMap<string, ConnectionSettings>;
  /** The address the daemon listens on. */
  host: string;
  token?: string;
}

const REFRESH_SECONDS = 30;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Compared as digests of equal length, in constant time. */
function sameToken(expected: string, given: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

export async function serveLivePage(options: LivePageOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  request.resume();
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('the sync-info page is read-only\n');
    return;
  }
  if (!isLoopback(options.host)) {
    if (!options.token) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('the sync-info page is served beyond loopback only with a bearer token: set daemon.page_token in the config\n');
      return;
    }
    const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!given || !sameToken(options.token, given)) {
      response.writeHead(401, { 'www-authenticate': 'Bearer realm="ferry"', 'content-type': 'text/plain' }).end('a bearer token is required\n');
      return;
    }
  }
  const info = await buildSyncInfo(options.ledger, options.flows, { present: recordPresenter(options.registry, new Map(options.connectionSettings)) });
  const html = renderHtml(info, { refreshSeconds: REFRESH_SECONDS });
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  response.end(request.method === 'HEAD' ? undefined : html);
}
