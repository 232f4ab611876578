/**
 * The Stripe API v1 emulator: form-encoded requests, Bearer secret keys, list pagination with
 * `starting_after`/`has_more`, `created` ranges, search, Idempotency-Key replay, the test-mode rate
 * limit, and signed webhooks. Paths and shapes follow Stripe's OpenAPI spec and fixtures (see
 * ../shared/api-specs/stripe) and the `stripe` SDK's declarations for API version 2026-10-28.
 */
import { createHash, createHmac } from 'node:crypto';
import qs from 'qs';
import { SlidingWindowLimiter } from '../core/rate-limit.js';
import { randomToken, seededRandom } from '../core/random.js';
import { type EmulatorRequest, type EmulatorResponse, type Route, type VendorBehaviour, VendorError } from '../core/server.js';
import { subscribeEndpoint, WebhookSender } from '../core/webhooks.js';
import * as build from './objects.js';
import type { StripeObject } from './objects.js';
import { ID_PREFIX, listPage, searchFilter, StripeStore, type StripeType } from './store.js';

export interface StripeEmulatorOptions {
  secretKey: string;
  seed?: number;
  /** Operations per second; Stripe allows 25 in test mode (https://docs.stripe.com/rate-limits). */
  ratePerSecond?: number;
  accountName?: string;
  /**
   * A restricted key (`rk_test_…`) and the resources it may use (`customers`, `invoices`, …, by their
   * path in /v1); a request for any other is refused with Stripe's permission error (403).
   */
  restrictedKey?: { key: string; resources: string[] };
}

type Params = Record<string, unknown>;

/** Stripe's error envelope (spec: components.schemas.error / api_errors). */
function stripeError(status: number, message: string, extra: { type?: string; code?: string; param?: string } = {}): EmulatorResponse {
  const error: Record<string, unknown> = { message, type: extra.type ?? 'invalid_request_error' };
  if (extra.code) {
    error.code = extra.code;
    error.doc_url = `https://stripe.com/docs/error-codes/${extra.code.replace(/_/g, '-')}`;
  }
  if (extra.param) error.param = extra.param;
  return { status, body: { error } };
}

const CUSTOMER_PARAMS = ['name', 'email', 'description', 'phone', 'metadata', 'address', 'preferred_locales', 'tax_exempt'];

/** Stripe refuses a customer email that is not an address (error code `email_invalid`). */
function customerParams(params: Params): Params {
  const email = params.email;
  if (typeof email === 'string' && email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) invalid(`Invalid email address: ${email}`, { code: 'email_invalid', param: 'email' });
  return params;
}

const fail = (status: number, message: string, extra?: { type?: string; code?: string; param?: string }): never => {
  throw new VendorError(stripeError(status, message, extra));
};

/**
 * A refusal by Stripe's parameter validation, before the endpoint starts: no idempotent result is saved
 * for it, so the same key sent again with corrected parameters runs (https://docs.stripe.com/api/idempotent_requests).
 */
class InvalidParameters extends VendorError {}
const invalid = (message: string, extra?: { code?: string; param?: string }): never => {
  throw new InvalidParameters(stripeError(400, message, extra));
};

/** What identifies a request for its idempotency key: the endpoint and the parameters sent. */
const fingerprintOf = (request: EmulatorRequest) => createHash('sha256').update(`${request.path}\n${request.rawBody.toString('utf8')}`).digest('hex');

interface SavedResult {
  fingerprint: string;
  response: EmulatorResponse;
}

export interface WebhookEndpoint {
  url: string;
  secret: string;
}

export class StripeEmulator {
  readonly store: StripeStore;
  readonly webhooks: WebhookEndpoint[] = [];
  private readonly random: () => number;
  private readonly limiter: SlidingWindowLimiter;
  private readonly idempotency = new Map<string, SavedResult>();
  private invoiceNumber = 1;
  private readonly sender = new WebhookSender();

  constructor(private readonly options: StripeEmulatorOptions) {
    this.random = seededRandom(options.seed ?? 1);
    this.store = new StripeStore(this.random);
    this.limiter = new SlidingWindowLimiter(options.ratePerSecond ?? 25, 1_000);
  }

  behaviour(): VendorBehaviour {
    return {
      name: 'stripe',
      routes: this.routes(),
      authenticate: (request) => this.authenticate(request),
      rateLimit: (_request, now) => {
        const verdict = this.limiter.take(now);
        // Stripe answers 429 with code rate_limit and no Retry-After header (https://docs.stripe.com/rate-limits).
        return verdict.allowed ? undefined : stripeError(429, 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.', { code: 'rate_limit' });
      },
      faultResponse: (fault, request) => {
        if (fault === 'rate-limited') return stripeError(429, 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.', { code: 'rate_limit' });
        // A server error while a keyed POST ran is saved, and replayed for that key from then on.
        const response = this.withRequestId(stripeError(500, 'An unknown error occurred', { type: 'api_error' }));
        const key = request && this.idempotencyKey(request);
        if (request && key && !this.idempotency.has(key)) this.idempotency.set(key, { fingerprint: fingerprintOf(request), response });
        return response;
      },
      decorate: (request, response) => {
        response.headers = { 'stripe-version': String(request.headers['stripe-version'] ?? '2026-10-28.endive'), ...this.withRequestId(response).headers };
      },
      notFound: (request) => stripeError(404, `Unrecognized request URL (${request.method}: ${request.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`),
      admin: {
        webhooks: subscribeEndpoint(this.webhooks),
      },
    };
  }

  snapshot(): unknown {
    return { objects: this.store.snapshot(), invoiceNumber: this.invoiceNumber, idempotency: [...this.idempotency] };
  }

  restore(state: unknown): void {
    const saved = state as { objects: Record<string, StripeObject[]>; invoiceNumber: number; idempotency: [string, SavedResult][] };
    this.store.restore(saved.objects);
    this.invoiceNumber = saved.invoiceNumber;
    for (const [key, value] of saved.idempotency) this.idempotency.set(key, value);
  }

  /** Resolves when every webhook delivery started so far has finished. */
  settled(): Promise<void> {
    return this.sender.settled();
  }

  private authenticate(request: EmulatorRequest): EmulatorResponse | undefined {
    const header = String(request.headers.authorization ?? '');
    const key = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!key) return stripeError(401, 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').');
    const masked = `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;
    const restricted = this.options.restrictedKey;
    if (restricted && key === restricted.key) {
      const resource = request.path.split('/')[2] ?? '';
      if (resource === 'account' || restricted.resources.includes(resource)) return undefined;
      const access = request.method === 'GET' ? 'read' : 'write';
      return stripeError(403, `The provided key '${masked}' does not have the required permissions for this endpoint on account 'acct_1FerryEmulator00'. Having the 'rak_${resource.replace(/s$/, '')}_${access}' permission would allow this request to continue.`);
    }
    if (key !== this.options.secretKey) return stripeError(401, `Invalid API Key provided: ${masked}`);
    return undefined;
  }

  private routes(): Route[] {
    const r = (method: string, pattern: string, handler: (p: Params, request: EmulatorRequest) => StripeObject) => ({
      method,
      pattern,
      handler: (request: EmulatorRequest) => this.respond(request, () => handler(this.params(request), request)),
    });
    const list = (type: StripeType, url: string, filter?: (o: StripeObject, p: Params) => boolean) =>
      r('GET', url, (p) => this.list(this.store.all(type).filter((o) => !filter || filter(o, p)), p, url));
    const search = (type: StripeType, url: string) => r('GET', url, (p) => this.search(type, p, url));
    const byCustomer = (o: StripeObject, p: Params) => !p.customer || o.customer === p.customer;

    return [
      r('POST', '/v1/customers', (p) => this.created('customer', build.customer(this.store.newId('customer'), this.store.now(), customerParams(this.allowed(p, CUSTOMER_PARAMS))))),
      list('customer', '/v1/customers', (o, p) => !p.email || o.email === p.email),
      search('customer', '/v1/customers/search'),
      r('GET', '/v1/customers/:id', (_, q) => this.retrieve('customer', q.params.id!)),
      r('POST', '/v1/customers/:id', (p, q) => this.update('customer', q.params.id!, customerParams(this.allowed(p, CUSTOMER_PARAMS)))),

      r('POST', '/v1/products', (p) => this.created('product', build.product(this.store.newId('product'), this.store.now(), this.required(this.allowed(p, ['name', 'description', 'active', 'metadata', 'images', 'id']), ['name'])))),
      list('product', '/v1/products', (o, p) => p.active === undefined || String(o.active) === String(p.active)),
      search('product', '/v1/products/search'),
      r('GET', '/v1/products/:id', (_, q) => this.retrieve('product', q.params.id!)),
      r('POST', '/v1/products/:id', (p, q) => this.update('product', q.params.id!, this.allowed(p, ['name', 'description', 'active', 'metadata', 'images', 'default_price']))),

      r('POST', '/v1/prices', (p) => this.createPrice(p)),
      list('price', '/v1/prices', (o, p) => (!p.product || o.product === p.product) && (!Array.isArray(p.lookup_keys) || p.lookup_keys.includes(o.lookup_key))),
      search('price', '/v1/prices/search'),
      r('GET', '/v1/prices/:id', (_, q) => this.retrieve('price', q.params.id!)),
      // A price's amount is fixed once created; these are what Stripe lets change.
      r('POST', '/v1/prices/:id', (p, q) => this.update('price', q.params.id!, this.allowed(p, ['active', 'nickname', 'lookup_key', 'metadata']))),

      r('POST', '/v1/invoiceitems', (p) => this.createInvoiceItem(p)),
      list('invoiceitem', '/v1/invoiceitems', (o, p) => byCustomer(o, p) && (!p.invoice || o.invoice === p.invoice)),
      r('GET', '/v1/invoiceitems/:id', (_, q) => this.retrieve('invoiceitem', q.params.id!)),
      r('DELETE', '/v1/invoiceitems/:id', (_, q) => this.deleteInvoiceItem(q.params.id!)),

      r('POST', '/v1/invoices', (p) => this.createInvoice(p)),
      list('invoice', '/v1/invoices', (o, p) => byCustomer(o, p) && (!p.status || o.status === p.status)),
      search('invoice', '/v1/invoices/search'),
      r('GET', '/v1/invoices/:id', (_, q) => this.retrieve('invoice', q.params.id!)),
      r('POST', '/v1/invoices/:id', (p, q) => this.updateInvoice(q.params.id!, p)),
      r('GET', '/v1/invoices/:id/lines', (p, q) => this.list(this.invoiceLines(this.retrieve('invoice', q.params.id!)), p, `/v1/invoices/${q.params.id}/lines`)),
      r('POST', '/v1/invoices/:id/finalize', (_, q) => this.finalizeInvoice(q.params.id!)),
      r('POST', '/v1/invoices/:id/send', (_, q) => this.sendInvoice(q.params.id!)),
      r('POST', '/v1/invoices/:id/pay', (p, q) => this.payInvoice(q.params.id!, p)),
      r('POST', '/v1/invoices/:id/void', (_, q) => this.transitionInvoice(q.params.id!, 'open', 'void', 'voided_at', 'invoice.voided')),
      r('POST', '/v1/invoices/:id/attach_payment', (p, q) => this.attachPayment(q.params.id!, p)),
      list('invoice_payment', '/v1/invoice_payments', (o, p) => {
        const payment = p.payment as Params | undefined;
        return (!p.invoice || o.invoice === p.invoice) && (!p.status || o.status === p.status) && (!payment?.payment_intent || (o.payment as Params).payment_intent === payment.payment_intent);
      }),

      r('POST', '/v1/payment_intents', (p) => this.createPaymentIntent(p)),
      list('payment_intent', '/v1/payment_intents', byCustomer),
      search('payment_intent', '/v1/payment_intents/search'),
      r('GET', '/v1/payment_intents/:id', (_, q) => this.retrieve('payment_intent', q.params.id!)),
      r('POST', '/v1/payment_intents/:id/confirm', (p, q) => this.confirmPaymentIntent(this.retrieve('payment_intent', q.params.id!), p)),

      list('charge', '/v1/charges', (o, p) => byCustomer(o, p) && (!p.payment_intent || o.payment_intent === p.payment_intent)),
      search('charge', '/v1/charges/search'),
      r('GET', '/v1/charges/:id', (_, q) => this.retrieve('charge', q.params.id!)),

      r('POST', '/v1/refunds', (p) => this.createRefund(p)),
      list('refund', '/v1/refunds', (o, p) => (!p.charge || o.charge === p.charge) && (!p.payment_intent || o.payment_intent === p.payment_intent)),
      r('GET', '/v1/refunds/:id', (_, q) => this.retrieve('refund', q.params.id!)),

      list('balance_transaction', '/v1/balance_transactions', (o, p) => (!p.type || o.type === p.type) && (!p.source || o.source === p.source)),
      r('GET', '/v1/balance_transactions/:id', (_, q) => this.retrieve('balance_transaction', q.params.id!)),

      { method: 'GET', pattern: '/v1/account', handler: () => ({ status: 200, body: this.account() }) },
      list('event', '/v1/events', (o, p) => !p.type || o.type === p.type || (String(p.type).endsWith('.*') && String(o.type).startsWith(String(p.type).slice(0, -1)))),
      r('GET', '/v1/events/:id', (_, q) => this.retrieve('event', q.params.id!)),
    ];
  }

  private idempotencyKey(request: EmulatorRequest): string | undefined {
    const key = request.method === 'POST' ? request.headers['idempotency-key'] : undefined;
    return typeof key === 'string' ? key : undefined;
  }

  /** Every answer carries its own `Request-Id`; a saved one keeps the first request's. */
  private withRequestId(response: EmulatorResponse): EmulatorResponse {
    response.headers = { 'request-id': `req_${randomToken(this.random, 14)}`, ...response.headers };
    return response;
  }

  /** `GET /v1/account`: the account the key belongs to (https://docs.stripe.com/api/accounts/retrieve). */
  private account(): StripeObject {
    const name = this.options.accountName ?? 'Ferry Emulator Co.';
    return { id: 'acct_1FerryEmulator00', object: 'account', type: 'standard', country: 'US', default_currency: 'usd', email: 'owner@ferry.test', charges_enabled: true, payouts_enabled: true, business_profile: { name }, settings: { dashboard: { display_name: name, timezone: 'America/Chicago' } }, created: 1_700_000_000 };
  }

  /**
   * Runs a handler with Idempotency-Key semantics for POSTs (https://docs.stripe.com/api/idempotent_requests):
   * the status and body of the first request that reached the endpoint are saved and replayed for the
   * key, errors and 500s included, with `Idempotent-Replayed: true` and `Original-Request` naming that
   * first request; a request refused by parameter validation saves nothing; the same key with other
   * parameters is an `idempotency_error`.
   */
  private respond(request: EmulatorRequest, run: () => StripeObject): EmulatorResponse {
    const params = this.params(request);
    const handler = () => this.expand(run(), params.expand);
    const key = this.idempotencyKey(request);
    if (key === undefined) return { status: 200, body: handler() };
    const fingerprint = fingerprintOf(request);
    const earlier = this.idempotency.get(key);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        return stripeError(400, `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`, { type: 'idempotency_error' });
      }
      const { 'request-id': original, ...headers } = earlier.response.headers ?? {};
      return { ...earlier.response, headers: { ...headers, 'idempotent-replayed': 'true', 'original-request': String(original) } };
    }
    let response: EmulatorResponse;
    try {
      response = { status: 200, body: handler() };
    } catch (error) {
      if (error instanceof InvalidParameters) return error.response;
      if (!(error instanceof VendorError)) throw error;
      response = error.response;
    }
    this.idempotency.set(key, { fingerprint, response: this.withRequestId(response) });
    return response;
  }

  /**
   * `expand[]=customer`, `expand[]=data.latest_charge`: replaces an id with the object it names, on a
   * copy (https://docs.stripe.com/api/expanding_objects). Ids are recognised by their prefix.
   */
  private expand(object: StripeObject, paths: unknown): StripeObject {
    const list = Array.isArray(paths) ? paths.map(String) : typeof paths === 'string' ? [paths] : [];
    if (!list.length) return object;
    const copy = structuredClone(object);
    const byPrefix = Object.fromEntries(Object.entries(ID_PREFIX).map(([type, prefix]) => [prefix, type as StripeType]));
    const walk = (target: unknown, parts: string[]): void => {
      if (!target || typeof target !== 'object') return;
      if (Array.isArray(target)) return target.forEach((t) => walk(t, parts));
      const record = target as StripeObject;
      const [head, ...rest] = parts;
      if (!head) return;
      if (rest.length) return walk(record[head], rest);
      const id = record[head];
      const type = typeof id === 'string' ? byPrefix[id.split('_')[0]!] : undefined;
      const found = type && this.store.get(type, String(id));
      if (found) record[head] = structuredClone(found);
    };
    for (const path of list) walk(copy, path.split('.'));
    return copy;
  }

  private params(request: EmulatorRequest): Params {
    if (request.method === 'GET') return qs.parse(request.query.toString(), { depth: 5 }) as Params;
    const type = String(request.headers['content-type'] ?? '');
    if (request.rawBody.length && !type.startsWith('application/x-www-form-urlencoded')) {
      invalid('Invalid request: request parameters should be sent as application/x-www-form-urlencoded.');
    }
    return qs.parse(request.rawBody.toString('utf8'), { depth: 5, arrayLimit: 250 }) as Params;
  }

  /** Rejects parameters the endpoint does not take, as Stripe does. `expand` is accepted everywhere. */
  private allowed(params: Params, names: string[]): Params {
    for (const key of Object.keys(params)) {
      if (key !== 'expand' && !names.includes(key)) invalid(`Received unknown parameter: ${key}`, { param: key });
    }
    const { expand: _expand, ...rest } = params;
    return rest;
  }

  private required(params: Params, names: string[]): Params {
    for (const name of names) if (params[name] === undefined || params[name] === '') invalid(`Missing required param: ${name}.`, { code: 'parameter_missing', param: name });
    return params;
  }

  private retrieve(type: StripeType, id: string): StripeObject {
    return this.store.get(type, id) ?? fail(404, `No such ${type}: '${id}'`, { code: 'resource_missing', param: 'id' });
  }

  private list(objects: StripeObject[], params: Params, url: string): StripeObject {
    const page = listPage(objects, params as never, url);
    if ('error' in page) {
      if (page.error === 'limit') invalid('Invalid integer: limit must be between 1 and 100', { param: 'limit' });
      fail(404, `No such object: '${String(params[page.error as string])}'`, { code: 'resource_missing', param: String(page.error) });
    }
    return page as StripeObject;
  }

  private search(type: StripeType, params: Params, url: string): StripeObject {
    const query = String(params.query ?? '');
    const filter = searchFilter(query) ?? invalid(`Invalid search query: ${query}`, { param: 'query' });
    const limit = params.limit === undefined ? 10 : Number(params.limit);
    const matches = this.store.all(type).filter(filter).reverse();
    const start = params.page ? Number(Buffer.from(String(params.page), 'base64url').toString('utf8')) : 0;
    const data = matches.slice(start, start + limit);
    const hasMore = start + limit < matches.length;
    return { object: 'search_result', data, has_more: hasMore, next_page: hasMore ? Buffer.from(String(start + limit)).toString('base64url') : null, url };
  }

  private created(type: StripeType, object: StripeObject): StripeObject {
    this.store.add(type, object);
    this.emit(`${type}.created`, object);
    return object;
  }

  private update(type: StripeType, id: string, params: Params): StripeObject {
    const object = this.retrieve(type, id);
    const previous: StripeObject = {};
    for (const [key, value] of Object.entries(params)) {
      previous[key] = object[key];
      object[key] = key === 'metadata' ? mergeMetadata(object.metadata as Params, value as Params) : coerceLike(object[key], value);
    }
    if ('updated' in object) object.updated = this.store.now();
    this.emit(`${type}.updated`, object, previous);
    return object;
  }

  private createPrice(p: Params): StripeObject {
    const params = this.required(this.allowed(p, ['currency', 'unit_amount', 'product', 'nickname', 'lookup_key', 'metadata', 'active']), ['currency', 'product', 'unit_amount']);
    this.retrieve('product', String(params.product));
    if (!/^\d+$/.test(String(params.unit_amount))) invalid('Invalid integer: unit_amount', { param: 'unit_amount' });
    const price = this.created('price', build.price(this.store.newId('price'), this.store.now(), params));
    const product = this.retrieve('product', String(params.product));
    if (!product.default_price) product.default_price = price.id;
    return price;
  }

  private createInvoiceItem(p: Params): StripeObject {
    const params = this.required(this.allowed(p, ['customer', 'amount', 'currency', 'description', 'invoice', 'metadata', 'pricing', 'price_data', 'quantity', 'unit_amount_decimal', 'discountable', 'period', 'tax_rates']), ['customer']);
    this.retrieve('customer', String(params.customer));
    const quantity = params.quantity === undefined ? 1 : Number(params.quantity);
    let unitAmount: number;
    let priceId: string | null = null;
    let productId: string | null = null;
    const pricing = params.pricing as Params | undefined;
    if (pricing?.price) {
      const price = this.retrieve('price', String(pricing.price));
      unitAmount = Number(price.unit_amount);
      priceId = String(price.id);
      productId = String(price.product);
      params.currency ??= price.currency;
    } else if (params.price_data) {
      // Stripe makes an inactive one-off price of the product for the line (https://docs.stripe.com/api/invoiceitems/create#create_invoiceitem-price_data).
      const data = params.price_data as Params;
      this.retrieve('product', String(data.product));
      if (!/^\d+$/.test(String(data.unit_amount))) invalid('Invalid integer: price_data[unit_amount]', { param: 'price_data[unit_amount]' });
      const oneOff = this.store.add('price', build.price(this.store.newId('price'), this.store.now(), { ...data, active: false }));
      unitAmount = Number(data.unit_amount);
      priceId = String(oneOff.id);
      productId = String(data.product);
      params.currency ??= data.currency;
    } else if (params.unit_amount_decimal !== undefined) {
      unitAmount = Number(params.unit_amount_decimal);
    } else if (params.amount !== undefined) {
      unitAmount = Number(params.amount) / quantity;
    } else {
      invalid('You must specify either `amount`, `pricing`, `price_data` or `unit_amount_decimal`.', { param: 'amount' });
    }
    if (!params.currency) invalid('Missing required param: currency.', { code: 'parameter_missing', param: 'currency' });
    if (!Number.isInteger(unitAmount!) || !Number.isInteger(quantity) || quantity < 1) invalid('Invalid integer: amount', { param: 'amount' });
    if (params.invoice) {
      const invoice = this.retrieve('invoice', String(params.invoice));
      if (invoice.status !== 'draft') fail(400, `You can only add invoice items to draft invoices; ${String(invoice.id)} is ${String(invoice.status)}.`, { code: 'invoice_not_editable' });
    }
    const item = this.created('invoiceitem', build.invoiceItem(this.store.newId('invoiceitem'), this.store.now(), params, unitAmount!, quantity, priceId, productId));
    if (params.invoice) this.recalculate(this.retrieve('invoice', String(params.invoice)));
    return item;
  }

  private createInvoice(p: Params): StripeObject {
    const params = this.required(
      this.allowed(p, ['customer', 'collection_method', 'days_until_due', 'due_date', 'auto_advance', 'description', 'metadata', 'currency', 'footer', 'pending_invoice_items_behavior']),
      ['customer'],
    );
    const customer = this.retrieve('customer', String(params.customer));
    if (params.collection_method === 'send_invoice' && params.days_until_due === undefined && params.due_date === undefined) {
      invalid('Invoices with `collection_method=send_invoice` require either `due_date` or `days_until_due`.', { param: 'days_until_due' });
    }
    const invoice = build.invoice(this.store.newId('invoice'), this.store.now(), params, customer, this.options.accountName ?? 'Ferry Emulator Co.');
    if (params.due_date !== undefined) invoice.due_date = Number(params.due_date);
    this.store.add('invoice', invoice);
    // Since API 2022-08-01 pending items are excluded unless asked for.
    if (params.pending_invoice_items_behavior === 'include') {
      for (const item of this.store.all('invoiceitem')) if (item.customer === customer.id && !item.invoice) item.invoice = invoice.id;
    }
    this.recalculate(invoice);
    this.emit('invoice.created', invoice);
    return invoice;
  }

  private updateInvoice(id: string, p: Params): StripeObject {
    const invoice = this.retrieve('invoice', id);
    const params = this.allowed(p, ['description', 'metadata', 'days_until_due', 'due_date', 'auto_advance', 'footer', 'collection_method']);
    if (invoice.status !== 'draft' && Object.keys(params).some((k) => k !== 'metadata' && k !== 'description')) {
      fail(400, `This invoice is ${String(invoice.status)}; only its metadata and description can change.`, { code: 'invoice_not_editable' });
    }
    if (params.days_until_due !== undefined) {
      invoice.due_date = Number(invoice.created) + Number(params.days_until_due) * 86_400;
      delete params.days_until_due;
    }
    return this.update('invoice', id, params);
  }

  private invoiceLines(invoice: StripeObject): StripeObject[] {
    return this.store
      .all('invoiceitem')
      .filter((item) => item.invoice === invoice.id)
      .map((item) => build.lineItem(item, String(invoice.id)))
      .reverse();
  }

  private recalculate(invoice: StripeObject): void {
    const lines = this.invoiceLines(invoice);
    const total = lines.reduce((sum, line) => sum + Number(line.amount), 0);
    Object.assign(invoice, {
      subtotal: total,
      subtotal_excluding_tax: total,
      total,
      total_excluding_tax: total,
      amount_due: total,
      amount_remaining: total - Number(invoice.amount_paid),
      lines: { object: 'list', data: lines.slice(0, 10), has_more: lines.length > 10, total_count: lines.length, url: `/v1/invoices/${String(invoice.id)}/lines` },
    });
  }

  private finalizeInvoice(id: string): StripeObject {
    const invoice = this.retrieve('invoice', id);
    if (invoice.status !== 'draft') fail(400, `This invoice is already finalized, you can't re-finalize a non-draft invoice.`, { code: 'invoice_not_editable' });
    const now = this.store.now();
    this.recalculate(invoice);
    Object.assign(invoice, {
      status: 'open',
      number: `${String((this.retrieve('customer', String(invoice.customer)).invoice_prefix))}-${String(this.invoiceNumber++).padStart(4, '0')}`,
      effective_at: now,
      hosted_invoice_url: `https://invoice.stripe.com/i/emulator/${id}`,
      invoice_pdf: `https://pay.stripe.com/invoice/emulator/${id}/pdf`,
      status_transitions: { ...(invoice.status_transitions as Params), finalized_at: now },
      next_payment_attempt: invoice.collection_method === 'charge_automatically' ? now + 3600 : null,
    });
    this.emit('invoice.finalized', invoice);
    if (Number(invoice.amount_due) === 0) this.markPaid(invoice, now);
    return invoice;
  }

  /** Only an item on no invoice or on a draft can go (https://docs.stripe.com/api/invoiceitems/delete). */
  private deleteInvoiceItem(id: string): StripeObject {
    const item = this.retrieve('invoiceitem', id);
    const invoice = item.invoice ? this.retrieve('invoice', String(item.invoice)) : undefined;
    if (invoice && invoice.status !== 'draft') fail(400, `This invoice item is on invoice ${String(invoice.id)}, which is no longer a draft; it can't be deleted.`, { code: 'invoice_not_editable' });
    this.store.remove('invoiceitem', id);
    if (invoice) this.recalculate(invoice);
    this.emit('invoiceitem.deleted', item);
    return { id, object: 'invoiceitem', deleted: true };
  }

  private sendInvoice(id: string): StripeObject {
    const invoice = this.retrieve('invoice', id);
    if (invoice.collection_method !== 'send_invoice') fail(400, 'You can only manually send an invoice if its collection method is `send_invoice`.', { code: 'invoice_not_editable' });
    if (invoice.status !== 'open') fail(400, `You can only send an open invoice; this one is ${String(invoice.status)}.`, { code: 'invoice_not_editable' });
    this.emit('invoice.sent', invoice);
    return invoice;
  }

  private payInvoice(id: string, p: Params): StripeObject {
    const params = this.allowed(p, ['paid_out_of_band', 'payment_method', 'source']);
    const invoice = this.retrieve('invoice', id);
    if (invoice.status === 'draft') this.finalizeInvoice(id);
    if (invoice.status !== 'open') fail(400, `Invoice is already ${String(invoice.status)}`);
    const now = this.store.now();
    if (String(params.paid_out_of_band) !== 'true') {
      const intent = this.store.add('payment_intent', build.paymentIntent(this.store.newId('payment_intent'), now, { amount: invoice.amount_remaining, currency: invoice.currency, customer: invoice.customer, description: `Payment for Invoice ${String(invoice.number)}`, payment_method: params.payment_method ?? 'pm_card_visa', metadata: {} }, ''));
      intent.client_secret = `${String(intent.id)}_secret_${randomToken(this.random, 24)}`;
      try {
        this.confirmPaymentIntent(intent, {});
      } catch (error) {
        invoice.attempt_count = Number(invoice.attempt_count) + 1;
        invoice.attempted = true;
        this.emit('invoice.payment_failed', invoice);
        throw error;
      }
      this.addInvoicePayment(invoice, intent, now);
    }
    invoice.attempt_count = Number(invoice.attempt_count) + 1;
    invoice.attempted = true;
    this.markPaid(invoice, now);
    return invoice;
  }

  private addInvoicePayment(invoice: StripeObject, intent: StripeObject, now: number): void {
    this.store.add('invoice_payment', {
      id: this.store.newId('invoice_payment'),
      object: 'invoice_payment',
      amount_paid: intent.amount,
      amount_requested: intent.amount,
      created: now,
      currency: invoice.currency,
      invoice: invoice.id,
      is_default: true,
      livemode: false,
      payment: { payment_intent: intent.id, type: 'payment_intent' },
      status: 'paid',
      status_transitions: { canceled_at: null, paid_at: now },
    });
  }

  /**
   * A payment made apart from the invoice (a bank transfer matched later, a second card payment), attached
   * to it (https://docs.stripe.com/api/invoices/attach_payment). It may pay part of the invoice: the
   * invoice stays open until its amount is paid. The reference is silent on a payment larger than what
   * remains; this emulator credits it and leaves amount_paid above amount_due, so the over-payment shows.
   */
  private attachPayment(id: string, p: Params): StripeObject {
    const params = this.required(this.allowed(p, ['payment_intent', 'payment_record']), ['payment_intent']);
    const invoice = this.retrieve('invoice', id);
    if (invoice.status !== 'open') fail(400, `You can only attach payments to an open invoice; this one is ${String(invoice.status)}.`, { code: 'invoice_not_editable' });
    const intent = this.retrieve('payment_intent', String(params.payment_intent));
    if (intent.status !== 'succeeded') fail(400, `The PaymentIntent ${String(intent.id)} has not succeeded.`, { code: 'payment_intent_unexpected_state', param: 'payment_intent' });
    if (this.store.all('invoice_payment').some((x) => (x.payment as Params).payment_intent === intent.id)) {
      fail(400, `The PaymentIntent ${String(intent.id)} is already attached to an invoice.`, { param: 'payment_intent' });
    }
    const now = this.store.now();
    this.addInvoicePayment(invoice, intent, now);
    const paid = Number(invoice.amount_paid) + Number(intent.amount);
    if (paid >= Number(invoice.amount_due)) this.markPaid(invoice, now, paid);
    else {
      Object.assign(invoice, { amount_paid: paid, amount_remaining: Number(invoice.amount_due) - paid });
      this.emit('invoice.updated', invoice);
    }
    return invoice;
  }

  private markPaid(invoice: StripeObject, now: number, amountPaid = invoice.amount_due): void {
    Object.assign(invoice, {
      status: 'paid',
      amount_paid: amountPaid,
      amount_remaining: 0,
      next_payment_attempt: null,
      status_transitions: { ...(invoice.status_transitions as Params), paid_at: now },
    });
    this.emit('invoice.paid', invoice);
  }

  private transitionInvoice(id: string, from: string, to: string, stamp: string, eventType: string): StripeObject {
    const invoice = this.retrieve('invoice', id);
    if (invoice.status !== from) fail(400, `You can only do this to an ${from} invoice; this one is ${String(invoice.status)}.`, { code: 'invoice_not_editable' });
    invoice.status = to;
    invoice.status_transitions = { ...(invoice.status_transitions as Params), [stamp]: this.store.now() };
    this.emit(eventType, invoice);
    return invoice;
  }

  private createPaymentIntent(p: Params): StripeObject {
    const params = this.required(
      this.allowed(p, ['amount', 'currency', 'customer', 'description', 'metadata', 'payment_method', 'payment_method_types', 'confirm', 'capture_method', 'receipt_email', 'automatic_payment_methods']),
      ['amount', 'currency'],
    );
    if (!/^\d+$/.test(String(params.amount)) || Number(params.amount) < 50) fail(400, 'Amount must be at least $0.50 usd', { code: 'amount_too_small', param: 'amount' });
    if (params.customer) this.retrieve('customer', String(params.customer));
    const id = this.store.newId('payment_intent');
    const intent = this.created('payment_intent', build.paymentIntent(id, this.store.now(), params, `${id}_secret_${randomToken(this.random, 24)}`));
    return String(params.confirm) === 'true' ? this.confirmPaymentIntent(intent, {}) : intent;
  }

  /** Test payment methods decide the outcome, as in Stripe's test mode: `pm_card_chargeDeclined` is declined. */
  private confirmPaymentIntent(intent: StripeObject, p: Params): StripeObject {
    const params = this.allowed(p, ['payment_method', 'return_url']);
    if (params.payment_method) intent.payment_method = params.payment_method;
    if (!intent.payment_method) fail(400, 'You cannot confirm this PaymentIntent because it\'s missing a payment method.', { code: 'payment_intent_unexpected_state' });
    if (intent.status === 'succeeded') fail(400, 'This PaymentIntent\'s payment has already succeeded.', { code: 'payment_intent_unexpected_state' });
    const now = this.store.now();
    const declined = intent.payment_method === 'pm_card_chargeDeclined';
    const chargeId = this.store.newId('charge');
    const transactionId = declined ? null : this.store.newId('balance_transaction');
    const charge = build.charge(chargeId, now, intent, transactionId, declined ? { code: 'card_declined', message: 'Your card was declined.' } : undefined);
    this.store.add('charge', charge);
    if (transactionId) this.store.add('balance_transaction', build.balanceTransaction(transactionId, now, charge, Number(intent.amount), 'charge'));
    intent.latest_charge = chargeId;
    if (declined) {
      intent.status = 'requires_payment_method';
      intent.last_payment_error = { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', type: 'card_error', charge: chargeId };
      this.emit('charge.failed', charge);
      this.emit('payment_intent.payment_failed', intent);
      // A declined confirmation answers 402 with the card error (https://docs.stripe.com/declines/codes).
      throw new VendorError({ status: 402, body: { error: { ...(intent.last_payment_error as Params), doc_url: 'https://stripe.com/docs/error-codes/card-declined', payment_intent: structuredClone(intent) } } });
    } else {
      intent.status = 'succeeded';
      intent.amount_received = intent.amount;
      this.emit('charge.succeeded', charge);
      this.emit('payment_intent.succeeded', intent);
    }
    return intent;
  }

  private createRefund(p: Params): StripeObject {
    const params = this.allowed(p, ['charge', 'payment_intent', 'amount', 'reason', 'metadata']);
    let charge: StripeObject;
    if (params.charge) charge = this.retrieve('charge', String(params.charge));
    else if (params.payment_intent) {
      const intent = this.retrieve('payment_intent', String(params.payment_intent));
      charge = intent.latest_charge ? this.retrieve('charge', String(intent.latest_charge)) : fail(400, 'This PaymentIntent does not have a successful charge to refund.', { code: 'charge_not_refundable' });
    } else return invalid('One of the following params should be provided for this request: payment_intent or charge.', { param: 'charge' });
    if (charge.status !== 'succeeded') fail(400, `Charge ${String(charge.id)} has not succeeded and cannot be refunded.`, { code: 'charge_not_refundable' });
    const refundable = Number(charge.amount) - Number(charge.amount_refunded);
    const amount = params.amount === undefined ? refundable : Number(params.amount);
    if (!Number.isInteger(amount) || amount < 1) invalid('Invalid integer: amount', { param: 'amount' });
    if (amount > refundable) fail(400, `Refund amount ($${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge ($${(refundable / 100).toFixed(2)})`, { code: 'amount_too_large', param: 'amount' });
    const now = this.store.now();
    const transactionId = this.store.newId('balance_transaction');
    const refund = this.created('refund', build.refund(this.store.newId('refund'), now, charge, amount, transactionId, params));
    this.store.add('balance_transaction', build.balanceTransaction(transactionId, now, refund, -amount, 'refund'));
    charge.amount_refunded = Number(charge.amount_refunded) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.emit('charge.refunded', charge);
    return refund;
  }

  /** Records the event and delivers it to every registered endpoint, signed as Stripe signs. */
  private emit(type: string, object: StripeObject, previous?: StripeObject): void {
    const event = build.event(this.store.newId('event'), this.store.now(), type, structuredClone(object), previous && structuredClone(previous));
    this.store.add('event', event);
    const payload = JSON.stringify(event, null, 2);
    for (const endpoint of this.webhooks) this.sender.send(endpoint.url, { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': stripeSignature(payload, endpoint.secret) }, payload);
  }
}

/** `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` (https://docs.stripe.com/webhooks#verify-manually). */
export function stripeSignature(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}


/** Form encoding sends everything as text; a field keeps the JSON type it already has. */
function coerceLike(current: unknown, value: unknown): unknown {
  if (typeof current === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  if (typeof current === 'number' && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

function mergeMetadata(current: Params, update: Params | string): Params {
  if (update === '') return {};
  const merged = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
