/**
 * The HubSpot CRM v3 emulator: contacts, companies, deals (default pipeline), line items and products;
 * create / read / update / archive, `after` paging, batch read/create/update/upsert (100 inputs,
 * `idProperty` upserts on unique properties), search with filter groups (10,000 results at most),
 * v4 default associations, the ten-second rolling and daily limits of the account's plan with
 * `X-HubSpot-RateLimit-*` headers, the search API's own per-second limit, the date-versioned paths
 * (`/crm/objects/2026-03/…`) beside `/crm/v3/…`, and v3-signed webhooks. Shapes follow the models `@hubspot/api-client`
 * generates from HubSpot's OpenAPI specifications (lib/codegen/crm/objects/models). The objects and the
 * rules a write must meet are the portal's CRM (crm.ts); this file is the API in front of it.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { AuthorizationCodes } from '../core/authorization-codes.js';
import { SlidingWindowLimiter } from '../core/rate-limit.js';
import { type EmulatorRequest, type EmulatorResponse, type Route, type VendorBehaviour, VendorError } from '../core/server.js';
import { subscribeEndpoint, WebhookSender } from '../core/webhooks.js';
import { type CreateInput, type CrmObject, error, fail, HubSpotCrm, OBJECT_TYPES, type ObjectType, type Properties, type PropertyInput, SINGULAR, SYSTEM } from './crm.js';

/** HubSpot-defined association type ids (https://developers.hubspot.com/docs/api/crm/associations). */
const ASSOCIATION_TYPE: Record<string, number> = {
  'contacts:companies': 279,
  'companies:contacts': 280,
  'deals:contacts': 3,
  'contacts:deals': 4,
  'deals:companies': 341,
  'companies:deals': 342,
  'deals:line_items': 19,
  'line_items:deals': 20,
};

export interface HubSpotEmulatorOptions {
  /** A private app's token, valid for good. */
  accessToken: string;
  portalId: number;
  /** A public app for OAuth 2: its credentials and the refresh token an installation starts with. */
  oauth: { clientId: string; clientSecret: string; refreshToken: string };
  /** The account's plan, which sets its API limits (PLAN_LIMITS); Professional when absent. */
  tier?: Tier;
  /** Override the plan's requests per ten seconds and per day (tests that need room, or a day's end). */
  requestsPerTenSeconds?: number;
  requestsPerDay?: number;
  searchPerSecond?: number;
  /**
   * Whether the portal has Ferry's own properties (`ferry_source_id` and the rest), as the demo's does;
   * a new portal has none until someone (or `ferry check --fix`) creates them.
   */
  ferryProperties?: boolean;
}

export type Tier = 'free' | 'starter' | 'professional' | 'enterprise';
/**
 * A private app's limits by the account's plan (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details):
 * requests per ten seconds and per day. The day ends at midnight in the account's time zone; the
 * emulator's account keeps UTC.
 */
const PLAN_LIMITS: Record<Tier, { perTenSeconds: number; perDay: number }> = {
  free: { perTenSeconds: 100, perDay: 250_000 },
  starter: { perTenSeconds: 100, perDay: 250_000 },
  professional: { perTenSeconds: 190, perDay: 625_000 },
  enterprise: { perTenSeconds: 190, perDay: 1_000_000 },
};
/** The date-based API versions served beside v3 (`/crm/objects/2026-03/contacts`). */
const DATE_VERSIONS = ['2026-03'];

export interface HubSpotWebhook {
  url: string;
  clientSecret: string;
  /** `deal.creation`, `deal.propertyChange`, ...; all when absent. */
  subscriptions?: string[];
}

export class HubSpotEmulator {
  /** The portal's objects and the rules that change them. */
  readonly crm: HubSpotCrm;
  readonly webhooks: HubSpotWebhook[] = [];
  private readonly limiter: SlidingWindowLimiter;
  private readonly searchLimiter: SlidingWindowLimiter;
  private readonly perDay: number;
  /** Requests made today (UTC): the day and its count. */
  private today = { day: '', count: 0 };
  private readonly sender = new WebhookSender();
  private eventId = 1;
  /** OAuth access tokens issued, and when each expires (HubSpot's last 30 minutes). */
  private readonly oauthTokens = new Map<string, number>();
  private readonly codes = new AuthorizationCodes();
  /** How many OAuth refreshes were granted: tests of refresh-once-per-connection read it. */
  refreshCount = 0;

  constructor(private readonly options: HubSpotEmulatorOptions) {
    const plan = PLAN_LIMITS[options.tier ?? 'professional'];
    this.limiter = new SlidingWindowLimiter(options.requestsPerTenSeconds ?? plan.perTenSeconds, 10_000);
    this.perDay = options.requestsPerDay ?? plan.perDay;
    this.crm = new HubSpotCrm(options.ferryProperties !== false, (type, object, property) => this.emit(type, object, property));
    this.searchLimiter = new SlidingWindowLimiter(options.searchPerSecond ?? 5, 1_000);
  }


  /** Makes every OAuth access token issued so far expire now (tests of the 401 → refresh path). */
  expireAccessTokens(): void {
    for (const token of this.oauthTokens.keys()) this.oauthTokens.set(token, 0);
  }

  /**
   * `POST /oauth/v1/token` with `grant_type=refresh_token` (https://developers.hubspot.com/docs/api/oauth/tokens).
   * HubSpot keeps the refresh token: the answer carries the same one back.
   */
  private token(request: EmulatorRequest): EmulatorResponse {
    const form = new URLSearchParams(request.rawBody.toString('utf8'));
    const { clientId, clientSecret, refreshToken } = this.options.oauth;
    const grant = form.get('grant_type');
    if (grant !== 'refresh_token' && grant !== 'authorization_code') return { status: 400, body: { status: 'BAD_GRANT_TYPE', message: 'grant_type must be one of authorization_code, refresh_token', correlationId: randomUUID() } };
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return { status: 400, body: { status: 'BAD_CLIENT_ID', message: 'missing or invalid client id or secret', correlationId: randomUUID() } };
    if (grant === 'authorization_code') {
      // https://developers.hubspot.com/docs/api/oauth/tokens
      if (!this.codes.redeem(form.get('code'), form.get('redirect_uri'))) return { status: 400, body: { status: 'BAD_AUTH_CODE', message: 'missing or unknown auth code', correlationId: randomUUID() } };
    } else if (form.get('refresh_token') !== refreshToken) return { status: 400, body: { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token', correlationId: randomUUID() } };
    const accessToken = `CJ${randomUUID().replace(/-/g, '')}`;
    this.oauthTokens.set(accessToken, Date.now() + 1_800_000);
    this.refreshCount++;
    return { status: 200, body: { token_type: 'bearer', refresh_token: refreshToken, access_token: accessToken, expires_in: 1800 } };
  }

  /**
   * The install page (`app.hubspot.com/oauth/authorize`), with the person's consent given at once: the
   * browser goes back to the app's redirect URI with a code and the state, as HubSpot sends it once
   * someone has chosen the portal and approved the scopes.
   */
  private authorize(request: EmulatorRequest): EmulatorResponse {
    const redirectUri = request.query.get('redirect_uri');
    if (request.query.get('client_id') !== this.options.oauth.clientId || !redirectUri) return error(400, 'VALIDATION_ERROR', 'unknown client_id or no redirect_uri');
    return this.codes.redirect(randomUUID(), redirectUri, { state: request.query.get('state') ?? '' });
  }

  private bearer(request: EmulatorRequest): string | undefined {
    return /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
  }

  private privateApp(request: EmulatorRequest): boolean {
    return this.bearer(request) === this.options.accessToken;
  }

  private authorized(request: EmulatorRequest): boolean {
    const token = this.bearer(request);
    return this.privateApp(request) || (token !== undefined && (this.oauthTokens.get(token) ?? 0) > Date.now());
  }

  /** Requests counted against today's limit (the count starts again at midnight). */
  private usedToday(now: number): number {
    const day = new Date(now).toISOString().slice(0, 10);
    if (this.today.day !== day) this.today = { day, count: 0 };
    return this.today.count;
  }

  snapshot(): unknown {
    return this.crm.snapshot();
  }

  restore(state: unknown): void {
    this.crm.restore(state as ReturnType<HubSpotCrm['snapshot']>);
  }

  settled(): Promise<void> {
    return this.sender.settled();
  }



  behaviour(): VendorBehaviour {
    return {
      name: 'hubspot',
      routes: [
        { method: 'POST', pattern: '/oauth/v1/token', handler: (q) => this.token(q) },
        { method: 'GET', pattern: '/oauth/authorize', handler: (q) => this.authorize(q) },
        { method: 'GET', pattern: '/account-info/v3/details', handler: () => this.accountDetails() },
        { method: 'GET', pattern: '/crm/v3/properties/:type/:name', handler: (q) => this.property(this.type(q.params.type!), q.params.name!) },
        { method: 'POST', pattern: '/crm/v3/properties/:type', handler: (q) => this.createProperty(this.type(q.params.type!), this.json(q) as PropertyInput) },
        ...this.objectRoutes('/crm/v3/objects/:type'),
        ...this.objectRoutes('/crm/objects/:version/:type'),
        {
          method: 'PUT',
          pattern: '/crm/v4/objects/:type/:id/associations/default/:toType/:toId',
          handler: (q) => this.associateDefault(this.type(q.params.type!), q.params.id!, this.type(q.params.toType!), q.params.toId!),
        },
        {
          method: 'POST',
          pattern: '/crm/v4/associations/:type/:toType/batch/read',
          handler: (q) => this.batchReadAssociations(this.type(q.params.type!), this.type(q.params.toType!), (this.json(q) as { inputs?: { id: string }[] }).inputs ?? []),
        },
        {
          method: 'GET',
          pattern: '/crm/v4/objects/:type/:id/associations/:toType',
          handler: (q) => this.listAssociations(this.type(q.params.type!), q.params.id!, this.type(q.params.toType!)),
        },
      ],
      authenticate: (request) =>
        request.path.startsWith('/oauth/') || this.authorized(request)
          ? undefined
          : error(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'),
      rateLimit: (request, now) => {
        if (request.path.startsWith('/oauth/')) return undefined;
        // The search endpoints have their own per-second limit, without rate-limit headers (https://developers.hubspot.com/docs/api/crm/search#limitations).
        if (request.path.endsWith('/search') && !this.searchLimiter.take(now).allowed) return this.tooMany('SECONDLY');
        if (this.usedToday(now) >= this.perDay) return this.tooMany('DAILY');
        if (!this.limiter.take(now).allowed) return this.tooMany('TEN_SECONDLY_ROLLING');
        this.today.count++;
        return undefined;
      },
      faultResponse: (fault) => (fault === 'rate-limited' ? this.tooMany('TEN_SECONDLY_ROLLING') : error(500, 'INTERNAL_ERROR', 'internal error')),
      decorate: (request, response, now) => {
        if (request.path.endsWith('/search')) return;
        // https://developers.hubspot.com/docs/api/usage-details#rate-limits
        // The daily figures come only with a private app's token.
        const daily: Record<string, string> = this.privateApp(request) ? { 'x-hubspot-ratelimit-daily': String(this.perDay), 'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, this.perDay - this.usedToday(now))) } : {};
        response.headers = {
          ...daily,
          'x-hubspot-ratelimit-interval-milliseconds': '10000',
          'x-hubspot-ratelimit-max': String(this.limiter.limit),
          'x-hubspot-ratelimit-remaining': String(this.limiter.remaining(now)),
          ...response.headers,
        };
      },
      notFound: () => error(404, 'OBJECT_NOT_FOUND', 'resource not found'),
      admin: {
        webhooks: subscribeEndpoint(this.webhooks),
      },
    };
  }

  /**
   * The CRM object endpoints under one prefix: `/crm/v3/objects/:type`, or a date-based version
   * (`/crm/objects/2026-03/:type`, https://developers.hubspot.com/docs/api-reference/versioning), which
   * serves the same objects in the same shapes.
   */
  private objectRoutes(o: string): Route[] {
    const r = (method: string, pattern: string, handler: (request: EmulatorRequest, type: ObjectType) => EmulatorResponse): Route => ({
      method,
      pattern,
      handler: (request) => {
        if (request.params.version !== undefined && !DATE_VERSIONS.includes(request.params.version)) return error(404, 'OBJECT_NOT_FOUND', 'resource not found');
        return handler(request, this.type(request.params.type!));
      },
    });
    return [
      r('GET', o, (q, t) => this.list(q, t)),
      r('POST', o, (q, t) => {
        const input = this.json(q) as CreateInput;
        return { status: 201, body: this.present(this.crm.create(t, input), t, [], this.echoed(t, input.properties)) };
      }),
      r('POST', `${o}/search`, (q, t) => this.search(q, t)),
      r('POST', `${o}/batch/read`, (q, t) => this.batchRead(q, t)),
      r('POST', `${o}/batch/create`, (q, t) => this.batch(q, t, 'create')),
      r('POST', `${o}/batch/update`, (q, t) => this.batch(q, t, 'update')),
      r('POST', `${o}/batch/upsert`, (q, t) => this.batch(q, t, 'upsert')),
      r('GET', `${o}/:id`, (q, t) => ({ status: 200, body: this.present(this.crm.find(t, q.params.id!, q.query.get('idProperty')), t, list(q.query.getAll('associations')), list(q.query.getAll('properties'))) })),
      r('PATCH', `${o}/:id`, (q, t) => {
        const properties = (this.json(q) as { properties?: Properties }).properties ?? {};
        return { status: 200, body: this.present(this.crm.update(t, this.crm.find(t, q.params.id!, q.query.get('idProperty')), properties), t, [], this.echoed(t, properties)) };
      }),
      r('DELETE', `${o}/:id`, (q, t) => {
        this.crm.find(t, q.params.id!).archived = true;
        return { status: 204 };
      }),
    ];
  }

  /** `GET /account-info/v3/details`: which portal a token reaches. */
  private accountDetails(): EmulatorResponse {
    return { status: 200, body: { portalId: this.options.portalId, accountType: 'STANDARD', timeZone: 'US/Eastern', companyCurrency: 'USD', additionalCurrencies: [], utcOffset: '-05:00', utcOffsetMilliseconds: -18_000_000, uiDomain: 'app.hubspot.com', dataHostingLocation: 'na1' } };
  }

  private propertyBody(type: ObjectType, name: string): Record<string, unknown> {
    const at = new Date(0).toISOString();
    return { name, label: name, type: 'string', fieldType: 'text', groupName: `${SINGULAR[type]}information`, hasUniqueValue: this.crm.unique[type].includes(name), hidden: false, formField: false, createdAt: at, updatedAt: at, options: [], modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: SYSTEM.includes(name) } };
  }

  /** `GET /crm/v3/properties/{objectType}/{propertyName}` (https://developers.hubspot.com/docs/api/crm/properties). */
  private property(type: ObjectType, name: string): EmulatorResponse {
    if (!this.crm.properties[type].includes(name) && !SYSTEM.includes(name)) return error(404, 'OBJECT_NOT_FOUND', `Unable to find property ${name} for object type ${type}`);
    return { status: 200, body: this.propertyBody(type, name) };
  }

  /** `POST /crm/v3/properties/{objectType}`: a custom property, unique when `hasUniqueValue`. */
  private createProperty(type: ObjectType, input: PropertyInput): EmulatorResponse {
    if (!input.name || !input.label || !input.type || !input.fieldType || !input.groupName) return error(400, 'VALIDATION_ERROR', 'name, label, type, fieldType and groupName are required');
    if (this.crm.properties[type].includes(input.name)) return error(409, 'CONFLICT', `A property named '${input.name}' already exists.`);
    this.crm.properties[type].push(input.name);
    if (input.hasUniqueValue) this.crm.unique[type].push(input.name);
    return { status: 201, body: this.propertyBody(type, input.name) };
  }

  /** The 429 body HubSpot documents (https://developers.hubspot.com/docs/api/usage-details); the OpenAPI models are silent on it. */
  private tooMany(policy: string): EmulatorResponse {
    const message = { SECONDLY: 'You have reached your secondly limit.', DAILY: 'You have reached your daily limit.', TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.' }[policy];
    return { status: 429, body: { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: policy, category: 'RATE_LIMITS' } };
  }

  private type(text: string): ObjectType {
    const alias: Record<string, ObjectType> = { contact: 'contacts', company: 'companies', deal: 'deals', line_item: 'line_items', product: 'products', '0-1': 'contacts', '0-2': 'companies', '0-3': 'deals', '0-8': 'line_items', '0-7': 'products' };
    const type = (OBJECT_TYPES as readonly string[]).includes(text) ? (text as ObjectType) : alias[text];
    return type ?? fail(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${text}`);
  }

  private json(request: EmulatorRequest): unknown {
    try {
      return JSON.parse(request.rawBody.toString('utf8') || '{}');
    } catch {
      return fail(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1');
    }
  }









  /** SimplePublicObject(WithAssociations): properties asked for (or the defaults) plus identity and dates. */
  private present(object: CrmObject, type: ObjectType, withAssociations: string[], asked?: string[]): Record<string, unknown> {
    const wanted = asked?.length ? asked : [...this.crm.properties[type].slice(0, 4), ...SYSTEM];
    const properties: Properties = {};
    for (const name of wanted) if (name in object.properties || asked?.length) properties[name] = object.properties[name] ?? null;
    properties.hs_object_id = object.id;
    const out: Record<string, unknown> = { id: object.id, properties, createdAt: object.createdAt, updatedAt: object.updatedAt, archived: object.archived };
    if (withAssociations.length) {
      const associations: Record<string, unknown> = {};
      for (const name of withAssociations) {
        const toType = this.type(name);
        const ids = this.crm.associated(type, object.id, toType);
        if (ids.length) associations[toType] = { results: ids.map((id) => ({ id, type: `${SINGULAR[type]}_to_${SINGULAR[toType]}` })) };
      }
      if (Object.keys(associations).length) out.associations = associations;
    }
    return out;
  }

  /** A write's answer carries the properties written, with HubSpot's own. */
  private echoed(type: ObjectType, properties: Properties | undefined): string[] {
    const derived = type === 'line_items' ? ['amount'] : [];
    return [...new Set([...Object.keys(properties ?? {}), ...derived, ...SYSTEM.filter((p) => p !== 'lastmodifieddate' || type === 'contacts')])];
  }

  private list(request: EmulatorRequest, type: ObjectType): EmulatorResponse {
    const limit = Math.min(100, Number(request.query.get('limit') ?? 10));
    const after = Number(request.query.get('after') ?? 0);
    const asked = list(request.query.getAll('properties'));
    const associations = list(request.query.getAll('associations'));
    const rows = this.crm.all(type).sort((a, b) => Number(a.id) - Number(b.id));
    const start = after ? rows.findIndex((o) => Number(o.id) > after) : 0;
    const page = start < 0 ? [] : rows.slice(start, start + limit);
    const last = page.at(-1);
    const more = last !== undefined && rows.indexOf(last) < rows.length - 1;
    return {
      status: 200,
      body: {
        results: page.map((o) => this.present(o, type, associations, asked)),
        ...(more ? { paging: { next: { after: last!.id, link: `${request.path}?after=${last!.id}` } } } : {}),
      },
    };
  }

  /** POST /search: filter groups OR'd, filters within a group AND'd (https://developers.hubspot.com/docs/api/crm/search). */
  private search(request: EmulatorRequest, type: ObjectType): EmulatorResponse {
    const body = this.json(request) as { filterGroups?: { filters: SearchFilter[] }[]; sorts?: (string | { propertyName: string; direction?: string })[]; properties?: string[]; limit?: number; after?: string | number; query?: string };
    const limit = body.limit ?? 10;
    if (limit > 200) fail(400, 'VALIDATION_ERROR', 'limit must be at most 200');
    const groups = body.filterGroups ?? [];
    if (groups.length > 5 || groups.some((g) => g.filters.length > 6)) fail(400, 'VALIDATION_ERROR', 'at most 5 filterGroups with 6 filters each');
    let rows = this.crm.all(type).filter((o) => (!groups.length || groups.some((g) => g.filters.every((f) => matchesFilter(o, f)))) && (!body.query || JSON.stringify(o.properties).toLowerCase().includes(body.query.toLowerCase())));
    const sort = body.sorts?.[0];
    const sortName = typeof sort === 'string' ? sort.replace(/^-/, '') : sort?.propertyName;
    const descending = typeof sort === 'string' ? sort.startsWith('-') : sort?.direction === 'DESCENDING';
    rows = rows.sort((a, b) => {
      if (!sortName) return Number(a.id) - Number(b.id);
      const [x, y] = [a.properties[sortName] ?? '', b.properties[sortName] ?? ''];
      const order = isNumeric(x) && isNumeric(y) ? Number(x) - Number(y) : Date.parse(x) - Date.parse(y) || String(x).localeCompare(String(y));
      return (descending ? -order : order) || Number(a.id) - Number(b.id);
    });
    const after = Number(body.after ?? 0);
    // Paging past the 10,000th result is refused (https://developers.hubspot.com/docs/api/crm/search#limitations).
    if (after + limit > 10_000) fail(400, 'VALIDATION_ERROR', 'Search API only supports paging through 10,000 results.');
    const page = rows.slice(after, after + limit);
    const next = after + limit < Math.min(rows.length, 10_000) ? { paging: { next: { after: String(after + limit) } } } : {};
    return { status: 200, body: { total: rows.length, results: page.map((o) => this.present(o, type, [], body.properties)), ...next } };
  }

  private batchRead(request: EmulatorRequest, type: ObjectType): EmulatorResponse {
    const body = this.json(request) as { inputs?: { id: string }[]; properties?: string[]; idProperty?: string };
    const inputs = this.inputs(body.inputs);
    const startedAt = new Date().toISOString();
    const results: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    for (const input of inputs) {
      const found = body.idProperty && body.idProperty !== 'hs_object_id' ? this.crm.all(type).find((o) => o.properties[body.idProperty!] === input.id) : this.crm.byId(type, String(input.id));
      if (found && !found.archived) results.push(this.present(found, type, [], body.properties));
      else errors.push({ status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not get some ${type} objects, they may be deleted or not exist.`, context: { ids: [String(input.id)] }, links: {}, errors: [] });
    }
    return this.batchAnswer(results, errors, startedAt, 200);
  }

  private inputs<T>(inputs: T[] | undefined): T[] {
    if (!Array.isArray(inputs)) fail(400, 'VALIDATION_ERROR', 'inputs is required');
    if (inputs!.length > 100) fail(400, 'VALIDATION_ERROR', `Batch input size of ${inputs!.length} exceeds the limit of 100`);
    return inputs!;
  }

  /** Batch create, update and upsert; each input stands or falls alone (207 with errors). */
  private batch(request: EmulatorRequest, type: ObjectType, mode: 'create' | 'update' | 'upsert'): EmulatorResponse {
    const body = this.json(request) as { inputs?: { id?: string; idProperty?: string; properties?: Properties; associations?: CreateInput['associations'] }[] };
    const inputs = this.inputs(body.inputs);
    const startedAt = new Date().toISOString();
    const results: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    inputs.forEach((input, index) => {
      try {
        const echoed = this.echoed(type, { ...input.properties, ...(input.idProperty && input.idProperty !== 'hs_object_id' ? { [input.idProperty]: String(input.id) } : {}) });
        if (mode === 'create') {
          results.push(this.present(this.crm.create(type, input), type, [], echoed));
        } else if (mode === 'update') {
          results.push(this.present(this.crm.update(type, this.crm.find(type, String(input.id), input.idProperty), input.properties ?? {}), type, [], echoed));
        } else {
          const idProperty = input.idProperty ?? 'hs_object_id';
          if (!this.crm.unique[type].includes(idProperty)) fail(400, 'VALIDATION_ERROR', `${idProperty} is not a unique property of ${type}`);
          const existing = idProperty === 'hs_object_id' ? this.crm.byId(type, String(input.id)) : this.crm.all(type).find((o) => o.properties[idProperty] === input.id);
          if (existing && !existing.archived) results.push({ ...this.present(this.crm.update(type, existing, input.properties ?? {}), type, [], echoed), new: false });
          else results.push({ ...this.present(this.crm.create(type, { properties: { ...(idProperty === 'hs_object_id' ? {} : { [idProperty]: String(input.id) }), ...input.properties } }), type, [], echoed), new: true });
        }
      } catch (caught) {
        if (!(caught instanceof VendorError)) throw caught;
        const answer = caught.response.body as { category: string; message: string };
        errors.push({ status: 'error', category: answer.category, message: answer.message, context: { index: [String(index)], ...(input.id ? { id: [String(input.id)] } : {}) }, links: {}, errors: [] });
      }
    });
    return this.batchAnswer(results, errors, startedAt, mode === 'create' ? 201 : 200);
  }

  private batchAnswer(results: Record<string, unknown>[], errors: Record<string, unknown>[], startedAt: string, status: number): EmulatorResponse {
    const base = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
    return errors.length ? { status: 207, body: { ...base, numErrors: errors.length, errors } } : { status, body: base };
  }

  private associateDefault(fromType: ObjectType, fromId: string, toType: ObjectType, toId: string): EmulatorResponse {
    this.crm.find(fromType, fromId);
    this.crm.find(toType, toId);
    this.crm.link(fromType, fromId, toType, toId);
    const typeId = ASSOCIATION_TYPE[`${fromType}:${toType}`] ?? 1;
    return { status: 200, body: { status: 'COMPLETE', results: [{ from: { id: fromId }, to: { id: toId }, associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId } }], startedAt: new Date().toISOString(), completedAt: new Date().toISOString() } };
  }

  /** v4 batch read: each input's associated ids (https://developers.hubspot.com/docs/api/crm/associations/v4). */
  private batchReadAssociations(fromType: ObjectType, toType: ObjectType, inputs: { id: string }[]): EmulatorResponse {
    if (inputs.length > 1000) fail(400, 'VALIDATION_ERROR', 'at most 1000 inputs');
    const typeId = ASSOCIATION_TYPE[`${fromType}:${toType}`] ?? 1;
    const results = inputs
      .filter((input) => this.crm.byId(fromType, String(input.id)) !== undefined)
      .map((input) => ({ _from: { id: String(input.id) }, to: this.crm.associated(fromType, String(input.id), toType).map((id) => ({ toObjectId: Number(id), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId, label: null }] })) }))
      .filter((r) => r.to.length)
      .map(({ _from, to }) => ({ from: _from, to }));
    const now = new Date().toISOString();
    return { status: 200, body: { status: 'COMPLETE', results, startedAt: now, completedAt: now } };
  }

  private listAssociations(fromType: ObjectType, fromId: string, toType: ObjectType): EmulatorResponse {
    this.crm.find(fromType, fromId);
    const typeId = ASSOCIATION_TYPE[`${fromType}:${toType}`] ?? 1;
    return {
      status: 200,
      body: { results: this.crm.associated(fromType, fromId, toType).map((id) => ({ toObjectId: Number(id), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId, label: null }] })) },
    };
  }

  /** Webhook events, signed v3: base64 HMAC-SHA256 of method + URL + body + timestamp with the app secret. */
  private emit(subscriptionType: string, object: CrmObject, propertyName: string | undefined): void {
    for (const hook of this.webhooks) {
      if (hook.subscriptions && !hook.subscriptions.includes(subscriptionType)) continue;
      const event = {
        eventId: this.eventId++,
        subscriptionId: 1,
        portalId: this.options.portalId,
        appId: 1,
        occurredAt: Date.now(),
        subscriptionType,
        attemptNumber: 0,
        objectId: Number(object.id),
        changeSource: 'CRM_UI',
        ...(propertyName ? { propertyName, propertyValue: object.properties[propertyName] ?? '' } : {}),
      };
      const body = JSON.stringify([event]);
      const timestamp = String(Date.now());
      this.sender.send(hook.url, { 'x-hubspot-signature-v3': hubspotSignatureV3('POST', hook.url, body, timestamp, hook.clientSecret), 'x-hubspot-request-timestamp': timestamp }, body);
    }
  }
}

interface SearchFilter {
  propertyName: string;
  operator: string;
  value?: string;
  values?: string[];
  highValue?: string;
}

const isNumeric = (v: string | null) => v !== null && v !== '' && Number.isFinite(Number(v));

function compareValues(actual: string, wanted: string): number {
  if (isNumeric(actual) && isNumeric(wanted)) return Number(actual) - Number(wanted);
  const dates = [Date.parse(actual), isNumeric(wanted) ? Number(wanted) : Date.parse(wanted)];
  if (!dates.some(Number.isNaN)) return dates[0]! - dates[1]!;
  return actual.localeCompare(wanted);
}

function matchesFilter(object: CrmObject, filter: SearchFilter): boolean {
  const actual = filter.propertyName === 'hs_object_id' ? object.id : object.properties[filter.propertyName];
  const wanted = String(filter.value ?? '');
  switch (filter.operator) {
    case 'EQ':
      return actual !== null && actual !== undefined && String(actual).toLowerCase() === wanted.toLowerCase();
    case 'NEQ':
      return String(actual ?? '').toLowerCase() !== wanted.toLowerCase();
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE': {
      if (actual === null || actual === undefined) return false;
      const order = compareValues(actual, wanted);
      return { GT: order > 0, GTE: order >= 0, LT: order < 0, LTE: order <= 0 }[filter.operator];
    }
    case 'BETWEEN':
      return actual !== null && actual !== undefined && compareValues(actual, wanted) >= 0 && compareValues(actual, String(filter.highValue)) <= 0;
    case 'IN':
      return (filter.values ?? []).map((v) => v.toLowerCase()).includes(String(actual ?? '').toLowerCase());
    case 'NOT_IN':
      return !(filter.values ?? []).map((v) => v.toLowerCase()).includes(String(actual ?? '').toLowerCase());
    case 'HAS_PROPERTY':
      return actual !== null && actual !== undefined && actual !== '';
    case 'NOT_HAS_PROPERTY':
      return actual === null || actual === undefined || actual === '';
    case 'CONTAINS_TOKEN':
      return String(actual ?? '').toLowerCase().includes(wanted.replace(/\*/g, '').toLowerCase());
    default:
      return fail(400, 'VALIDATION_ERROR', `Unsupported operator ${filter.operator}`);
  }
}

/** A query parameter given as `a,b` or repeated (`a&…=b`): the SDK does both. */
function list(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function hubspotSignatureV3(method: string, url: string, body: string, timestamp: string, secret: string): string {
  return createHmac('sha256', secret).update(`${method}${url}${body}${timestamp}`).digest('base64');
}
