/**
 * The QuickBooks Online Accounting API v3 emulator: `/v3/company/{realmId}/...` with `minorversion`,
 * create / read / full and sparse update / delete / void for the order-to-cash entities, the query
 * language, `SyncToken` concurrency, `requestid` de-duplication, `/batch` (30 items), OAuth 2 with
 * expiring access tokens and rotating refresh tokens, and Intuit's throttles (500 requests a minute
 * and 10 a second per realm and app; 40 batches a minute). Shapes follow Intuit's XSD (./contract) and the
 * documentation pages named in ../shared/api-specs/quickbooks/o2c-endpoints.handwritten.openapi.json.
 */
import { createHmac } from 'node:crypto';
import { AuthorizationCodes } from '../core/authorization-codes.js';
import { SlidingWindowLimiter } from '../core/rate-limit.js';
import { randomToken, seededRandom } from '../core/random.js';
import type { EmulatorRequest, EmulatorResponse, Route, VendorBehaviour } from '../core/server.js';
import { subscribeEndpoint, WebhookSender } from '../core/webhooks.js';
import { entityName, type EntityName, typeError, unknownElement } from './contract.js';
import { type CompanySettings, type Entity, QboBooks, QboFault } from './books.js';
import { parseQuery, QuerySyntaxError, runQuery } from './query.js';

export interface QuickBooksEmulatorOptions extends CompanySettings {
  realmId: string;
  clientId: string;
  clientSecret: string;
  /** The refresh token a new connection starts with. */
  refreshToken: string;
  /** An access token valid from the start, so a client can begin without refreshing. */
  accessToken?: string;
  accessTokenTtlSeconds?: number;
  /**
   * How long a refresh token keeps working after a newer one was issued. Intuit: "Your previous refresh
   * tokens expire 24 hours after you receive a new one" (intuit-oauth README, "Refresh access_token").
   */
  refreshTokenGraceSeconds?: number;
  seed?: number;
  requestsPerMinute?: number;
  batchesPerMinute?: number;
  requestsPerSecond?: number;
  companyName?: string;
  /** Company time zone offset for MetaData times, in minutes (the sandbox default is Pacific, -480). */
  utcOffsetMinutes?: number;
}

export function intuitSignature(body: string, verifierToken: string): string {
  return createHmac('sha256', verifierToken).update(body).digest('base64');
}

export function qboTime(date: Date, offsetMinutes: number): string {
  const shifted = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${shifted.toISOString().slice(0, 19)}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export interface QuickBooksWebhook {
  url: string;
  verifierToken: string;
}

export class QuickBooksEmulator {
  readonly books: QboBooks;
  readonly webhooks: QuickBooksWebhook[] = [];
  private readonly sender = new WebhookSender();
  private readonly random: () => number;
  private readonly accessTokens = new Map<string, number>();
  /** Refresh tokens that work, each with when it stops (null: the newest, until it is superseded). */
  private readonly refreshTokens = new Map<string, number | null>();
  private readonly requestIds = new Map<string, EmulatorResponse>();
  private readonly codes = new AuthorizationCodes();
  private readonly minuteLimiter: SlidingWindowLimiter;
  private readonly secondLimiter: SlidingWindowLimiter;
  private readonly batchLimiter: SlidingWindowLimiter;
  /** How many token refreshes were granted: tests of refresh-once-per-connection read it. */
  refreshCount = 0;

  constructor(private readonly options: QuickBooksEmulatorOptions) {
    this.random = seededRandom(options.seed ?? 1);
    this.books = new QboBooks(() => qboTime(new Date(), options.utcOffsetMinutes ?? -480), options);
    this.refreshTokens.set(options.refreshToken, null);
    if (options.accessToken) this.accessTokens.set(options.accessToken, Date.now() + this.ttlMs());
    this.minuteLimiter = new SlidingWindowLimiter(options.requestsPerMinute ?? 500, 60_000);
    this.secondLimiter = new SlidingWindowLimiter(options.requestsPerSecond ?? 10, 1_000);
    this.batchLimiter = new SlidingWindowLimiter(options.batchesPerMinute ?? 40, 60_000);
  }

  private ttlMs(): number {
    return (this.options.accessTokenTtlSeconds ?? 3600) * 1000;
  }

  /** The company file and the OAuth grants, so a restarted emulator still honours a rotated refresh token. */
  snapshot(): unknown {
    return { books: this.books.snapshot(), accessTokens: [...this.accessTokens], refreshTokens: [...this.refreshTokens], requestIds: [...this.requestIds] };
  }

  restore(state: unknown): void {
    const saved = state as { books: unknown; accessTokens: [string, number][]; refreshTokens: (string | [string, number | null])[]; requestIds: [string, EmulatorResponse][] };
    this.books.restore(saved.books);
    this.accessTokens.clear();
    for (const [token, expires] of saved.accessTokens) this.accessTokens.set(token, expires);
    this.refreshTokens.clear();
    // State saved before superseded tokens had an end kept only the tokens that worked.
    for (const entry of saved.refreshTokens) {
      if (typeof entry === 'string') this.refreshTokens.set(entry, null);
      else this.refreshTokens.set(entry[0], entry[1]);
    }
    for (const [id, response] of saved.requestIds) this.requestIds.set(id, response);
  }

  /** Makes every access token issued so far expire now (tests of the 401 → refresh path). */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.keys()) this.accessTokens.set(token, 0);
  }

  private time(): string {
    return qboTime(new Date(), this.options.utcOffsetMinutes ?? -480);
  }

  private fault(status: number, type: string, errors: { Message: string; Detail?: string; code: string; element?: string }[]): EmulatorResponse {
    return { status, body: { Fault: { Error: errors, type }, time: this.time() } };
  }

  behaviour(): VendorBehaviour {
    const prefix = `/v3/company/:realm`;
    const route = (method: string, pattern: string, handler: (request: EmulatorRequest) => EmulatorResponse): Route => ({ method, pattern, handler });
    return {
      name: 'quickbooks',
      routes: [
        route('POST', '/oauth2/v1/tokens/bearer', (r) => this.token(r)),
        route('GET', '/connect/oauth2', (r) => this.authorize(r)),
        route('GET', `${prefix}/preferences`, (r) => this.realm(r, () => this.preferences())),
        route('GET', `${prefix}/companyinfo/:id`, (r) => this.realm(r, () => this.companyInfo())),
        route('GET', `${prefix}/query`, (r) => this.realm(r, () => this.query(r.query.get('query') ?? ''))),
        route('POST', `${prefix}/query`, (r) => this.realm(r, () => this.query(r.rawBody.toString('utf8')))),
        route('POST', `${prefix}/batch`, (r) => this.realm(r, () => this.batch(r))),
        route('GET', `${prefix}/:entity/:id`, (r) => this.realm(r, () => this.read(r.params.entity!, r.params.id!))),
        route('POST', `${prefix}/:entity`, (r) => this.realm(r, () => this.write(r))),
      ],
      authenticate: (request) => (request.path === '/oauth2/v1/tokens/bearer' || request.path === '/connect/oauth2' ? undefined : this.authenticate(request)),
      rateLimit: (request, now) => {
        if (request.path === '/oauth2/v1/tokens/bearer' || request.path === '/connect/oauth2') return undefined;
        // "500 requests per minute per realm ID; 10 requests per second, per realm ID and app; throttled at
        // 40 batch requests per minute, per realm ID and app"
        // (https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles).
        const batch = request.path.endsWith('/batch') && !this.batchLimiter.take(now).allowed;
        return batch || !this.secondLimiter.take(now).allowed || !this.minuteLimiter.take(now).allowed ? this.throttled() : undefined;
      },
      faultResponse: (fault) =>
        fault === 'rate-limited'
          ? this.throttled()
          : this.fault(500, 'SystemFault', [{ Message: 'An application error has occurred while processing your request', Detail: 'System Failure Error: An unexpected error occurred while accessing or saving your data.', code: '10000' }]),
      decorate: (_request, response) => {
        response.headers = { intuit_tid: `1-${randomToken(this.random, 8)}-${randomToken(this.random, 16)}`, ...response.headers };
      },
      admin: {
        webhooks: subscribeEndpoint(this.webhooks),
      },
      notFound: (request) => this.fault(404, 'ValidationFault', [{ Message: 'Unsupported Operation', Detail: `Operation ${request.method} ${request.path} is not supported.`, code: '500' }]),
    };
  }

  /** 429 as Intuit answers a throttled request (https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles). */
  private throttled(): EmulatorResponse {
    return this.fault(429, 'SERVICE', [{ Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429', Detail: 'The request limit was reached.', code: '3001' }]);
  }

  private authenticate(request: EmulatorRequest): EmulatorResponse | undefined {
    const header = String(request.headers.authorization ?? '');
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const expires = this.accessTokens.get(token);
    if (expires !== undefined && expires > Date.now()) return undefined;
    return this.fault(401, 'AUTHENTICATION', [{ Message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', Detail: 'Token expired or invalid', code: '3200' }]);
  }

  /**
   * Intuit's authorization page (`appcenter.intuit.com/connect/oauth2`), with the person's consent
   * given at once: it sends the browser back to the app's redirect URI with a code, the state and the
   * company's realm id, as Intuit does once someone has signed in and chosen a company.
   */
  private authorize(request: EmulatorRequest): EmulatorResponse {
    const redirectUri = request.query.get('redirect_uri');
    if (request.query.get('client_id') !== this.options.clientId || !redirectUri) return { status: 400, body: { error: 'invalid_request', error_description: 'unknown client_id or no redirect_uri' } };
    if (!String(request.query.get('scope')).split(' ').includes('com.intuit.quickbooks.accounting')) return { status: 400, body: { error: 'invalid_scope' } };
    return this.codes.redirect(`AB11${randomToken(this.random, 30)}`, redirectUri, { state: request.query.get('state') ?? '', realmId: this.options.realmId });
  }

  /** The OAuth 2 token endpoint: the authorization-code and refresh-token grants (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0). */
  private token(request: EmulatorRequest): EmulatorResponse {
    const basic = String(request.headers.authorization ?? '');
    const [id, secret] = Buffer.from(basic.replace(/^Basic /, ''), 'base64').toString('utf8').split(':');
    if (id !== this.options.clientId || secret !== this.options.clientSecret) return { status: 401, body: { error: 'invalid_client' } };
    const form = new URLSearchParams(request.rawBody.toString('utf8'));
    if (form.get('grant_type') === 'authorization_code') {
      if (!this.codes.redeem(form.get('code'), form.get('redirect_uri'))) return { status: 400, body: { error: 'invalid_grant' } };
    } else if (form.get('grant_type') === 'refresh_token') {
      const refresh = form.get('refresh_token') ?? '';
      const ends = this.refreshTokens.get(refresh);
      if (ends === undefined || (ends !== null && ends <= Date.now())) {
        this.refreshTokens.delete(refresh);
        return { status: 400, body: { error: 'invalid_grant' } };
      }
    } else return { status: 400, body: { error: 'unsupported_grant_type' } };
    // The token used and every other still-current one become previous tokens, working for the grace period.
    const graceEnds = Date.now() + (this.options.refreshTokenGraceSeconds ?? 86_400) * 1000;
    for (const [token, end] of this.refreshTokens) if (end === null) this.refreshTokens.set(token, graceEnds);
    const accessToken = `eyJ.emulator.${randomToken(this.random, 40)}`;
    const refreshToken = `AB11${randomToken(this.random, 46)}`;
    this.accessTokens.set(accessToken, Date.now() + this.ttlMs());
    this.refreshTokens.set(refreshToken, null);
    this.refreshCount++;
    return {
      status: 200,
      body: { token_type: 'bearer', access_token: accessToken, expires_in: this.ttlMs() / 1000, refresh_token: refreshToken, x_refresh_token_expires_in: 8_726_400 },
    };
  }

  /** Checks the realm, then runs the operation, turning its faults into Intuit's envelope. */
  private realm(request: EmulatorRequest, operation: () => EmulatorResponse): EmulatorResponse {
    if (request.params.realm !== this.options.realmId) {
      return this.fault(403, 'AuthorizationFault', [{ Message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403', Detail: 'The application is not authorized for this company.', code: '003100' }]);
    }
    // Since 2025-08-01 a request with no minorversion, or one from 1 to 74, is served as 75
    // (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/minor-versions),
    // which is the only version this emulator models: nothing to check.
    const requestId = request.method === 'POST' ? request.query.get('requestid') : null;
    if (requestId && this.requestIds.has(requestId)) return this.requestIds.get(requestId)!;
    let response: EmulatorResponse;
    try {
      response = operation();
    } catch (error) {
      if (error instanceof QboFault) response = this.fault(error.status, error.type, [{ Message: error.message, Detail: error.detail, code: error.code, element: error.element }]);
      else if (error instanceof QuerySyntaxError) response = this.fault(400, 'ValidationFault', [{ Message: 'Error parsing query', Detail: `QueryParserError: ${error.message}`, code: '4000' }]);
      else throw error;
    }
    // The same requestid gets the same answer, whatever the body (https://blogs.intuit.com/2015/04/06/15346/).
    if (requestId) this.requestIds.set(requestId, response);
    return response;
  }

  private read(entityText: string, id: string): EmulatorResponse {
    const name = this.entity(entityText);
    const entity = this.books.get(name, id);
    if (!entity) throw new QboFault(400, 'ValidationFault', 'Object Not Found', `Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.`, '610');
    return { status: 200, body: { [name]: entity, time: this.time() } };
  }

  private entity(text: string): EntityName {
    const name = entityName(text);
    if (!name) throw new QboFault(400, 'ValidationFault', 'Unsupported Operation', `Operation on ${text} is not supported.`, '500');
    return name;
  }

  private write(request: EmulatorRequest): EmulatorResponse {
    const name = this.entity(request.params.entity!);
    let body: Entity;
    try {
      body = JSON.parse(request.rawBody.toString('utf8') || 'null') as Entity;
    } catch {
      throw new QboFault(400, 'ValidationFault', 'Request has invalid or unsupported property', 'Request body is not valid JSON.', '2010');
    }
    return { status: 200, body: { [name]: this.apply(name, body, request.query.get('operation') ?? undefined, request.query.get('include') ?? undefined), time: this.time() } };
  }

  /** One create, update, delete or void; shared by the entity endpoints and /batch. */
  private apply(name: EntityName, body: Entity | null, operation?: string, include?: string): Entity {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new QboFault(400, 'ValidationFault', 'Request has invalid or unsupported property', `The ${name} body must be a JSON object.`, '2010');
    const unknown = unknownElement(name, body);
    if (unknown) throw new QboFault(400, 'ValidationFault', 'Request has invalid or unsupported property', `Property Name:Can not construct instance of ${name} from ${unknown}`, '2010', unknown);
    const wrongType = typeError(name, body);
    if (wrongType) throw new QboFault(400, 'ValidationFault', 'Request has invalid or unsupported property', wrongType, '2010', wrongType.split(':')[0]);
    let result: Entity;
    let change: string;
    if (operation === 'delete') [result, change] = [this.books.remove(name, body), 'Delete'];
    else if (operation === 'void' || include === 'void') [result, change] = [this.books.voidTransaction(name, body), 'Void'];
    else if (body.Id !== undefined) [result, change] = [this.books.update(name, body), 'Update'];
    else [result, change] = [this.books.create(name, body), 'Create'];
    this.notify(name, String(result.Id), change);
    return result;
  }

  settled(): Promise<void> {
    return this.sender.settled();
  }

  /**
   * Intuit's change notification: `eventNotifications[].dataChangeEvent.entities[]`, signed with
   * `intuit-signature` = base64 HMAC-SHA256 of the body with the app's verifier token
   * (https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks).
   */
  private notify(name: EntityName, id: string, operation: string): void {
    for (const hook of this.webhooks) {
      const body = JSON.stringify({ eventNotifications: [{ realmId: this.options.realmId, dataChangeEvent: { entities: [{ name, id, operation, lastUpdated: new Date().toISOString() }] } }] });
      this.sender.send(hook.url, { 'intuit-signature': intuitSignature(body, hook.verifierToken) }, body);
    }
  }

  /** The company settings a sync depends on (Preferences, read-only here). */
  private preferences(): EmulatorResponse {
    const Preferences = {
      Id: '1',
      SyncToken: '0',
      domain: 'QBO',
      SalesFormsPrefs: { CustomTxnNumbers: this.options.customTxnNumbers ?? false, AllowShipping: this.options.allowShipping ?? true },
      CurrencyPrefs: { MultiCurrencyEnabled: false, HomeCurrency: { value: 'USD' } },
      MetaData: { CreateTime: this.time(), LastUpdatedTime: this.time() },
    };
    return { status: 200, body: { Preferences, time: this.time() } };
  }

  private companyInfo(): EmulatorResponse {
    const CompanyInfo = { Id: '1', SyncToken: '0', domain: 'QBO', CompanyName: this.options.companyName ?? 'Ferry Emulated Books', Country: 'US', SupportedLanguages: 'en', MetaData: { CreateTime: this.time(), LastUpdatedTime: this.time() } };
    return { status: 200, body: { CompanyInfo, time: this.time() } };
  }

  private query(text: string): EmulatorResponse {
    return { status: 200, body: { QueryResponse: this.queryResponse(text), time: this.time() } };
  }

  private queryResponse(text: string): Record<string, unknown> {
    const query = parseQuery(text.trim());
    const name = entityName(query.entity);
    if (!name) throw new QuerySyntaxError(`Invalid query: unknown entity ${query.entity}`);
    const { rows, total } = runQuery(this.books.all(name), query);
    if (query.count) return { totalCount: total };
    return rows.length ? { [name]: rows, startPosition: query.startPosition, maxResults: rows.length } : {};
  }

  /** Up to 30 operations, run in order, each answered on its own (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/batch). */
  private batch(request: EmulatorRequest): EmulatorResponse {
    const body = JSON.parse(request.rawBody.toString('utf8') || '{}') as { BatchItemRequest?: Record<string, unknown>[] };
    const items = body.BatchItemRequest;
    if (!Array.isArray(items)) throw new QboFault(400, 'ValidationFault', 'Request has invalid or unsupported property', 'BatchItemRequest is required.', '2010', 'BatchItemRequest');
    if (items.length > 30) throw new QboFault(400, 'ValidationFault', 'Batch Request Limit Exceeded', `Number of items in the batch request exceeded the limit of 30: ${items.length}`, '5000');
    const responses = items.map((item) => {
      const bId = String(item.bId ?? '');
      try {
        if (typeof item.Query === 'string') return { bId, QueryResponse: this.queryResponse(item.Query) };
        const key = Object.keys(item).find((k) => entityName(k) === k);
        if (!key) throw new QboFault(400, 'ValidationFault', 'Request has invalid or unsupported property', 'A batch item needs an entity or a Query.', '2010');
        const operation = String(item.operation ?? 'create');
        const entity = this.apply(key as EntityName, item[key] as Entity, operation === 'create' || operation === 'update' ? undefined : operation);
        return { bId, [key]: entity };
      } catch (error) {
        if (error instanceof QboFault) return { bId, Fault: { Error: [{ Message: error.message, Detail: error.detail, code: error.code, element: error.element }], type: error.type } };
        if (error instanceof QuerySyntaxError) return { bId, Fault: { Error: [{ Message: 'Error parsing query', Detail: error.message, code: '4000' }], type: 'ValidationFault' } };
        throw error;
      }
    });
    return { status: 200, body: { BatchItemResponse: responses, time: this.time() } };
  }
}
