/** The Stripe connector against the Stripe emulator, and its error classification. */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StripeClient } from '../../../connectors/stripe/client.js';
import { stripe } from '../../../connectors/stripe/index.js';
import type { WriteItem } from '../../../src/connector/types.js';
import { AuthError, PermanentError, TransientError } from '../../../src/errors.js';
import { NO_FAULTS } from '../../../emulators/core/faults.js';
import { startStripe, type RunningStripe } from '../../../emulators/stripe/index.js';

let emu: RunningStripe;
const open = (baseUrl = emu.url, key = emu.secretKey) => new StripeClient({ name: 'stripe', connector: 'stripe', baseUrl, options: { secret_key: key, requests_per_second: 1_000 } });
const item = (sourceId: string, payload: Record<string, unknown>, extra: Partial<WriteItem> = {}): WriteItem => ({ sourceId, idempotencyKey: `ferry-${sourceId}`, payload, ...extra });

beforeAll(async () => {
  emu = await startStripe({ seed: 12, ratePerSecond: 10_000 });
});
afterAll(() => emu.close());
afterEach(() => nock.cleanAll());

describe('Stripe connector', () => {
  it('creates a customer once, whatever the retries, and updates it in place', async () => {
    const client = open();
    const customers = stripe.entities.customers!;
    const [created] = await customers.write!(client, [item('hs-1', { email: 'co@x.test', name: 'Co' }, { match: { field: 'email', value: 'co@x.test' } })]);
    const [replayed] = await customers.write!(client, [item('hs-1', { email: 'co@x.test', name: 'Co' })]);
    expect(replayed).toEqual({ ok: true, targetId: (created as { targetId: string }).targetId, action: 'created' }); // the idempotency key replayed
    const [matched] = await customers.write!(client, [item('hs-1', { email: 'co@x.test', name: 'Co Ltd' }, { match: { field: 'email', value: 'co@x.test' }, idempotencyKey: 'other' })]);
    expect(matched).toMatchObject({ ok: true, action: 'updated', targetId: (created as { targetId: string }).targetId });
    expect((await emu.server.inject('GET', '/v1/customers?email=co@x.test').then((r) => (r.body as { data: unknown[] }).data)).length).toBe(1);
  });

  it('goes on under the next key of its sequence when Stripe replays a saved 500 for the first, creating once', async () => {
    const client = open();
    const customers = stripe.entities.customers!;
    const first = item('hs-500', { email: 'five@x.test', name: 'Five Hundred' });
    emu.server.setFaults({ ...NO_FAULTS, serverError: 1 });
    const [failed] = await customers.write!(client, [first]).catch((error: unknown) => [{ ok: false, error }]);
    emu.server.setFaults(NO_FAULTS);
    expect(failed).toMatchObject({ ok: false, error: { status: 500 } });
    // The retry looks for an earlier attempt's customer, finds none, and sends the create again: the key's
    // saved 500 is replayed, so the request goes on as `ferry-hs-500:2`.
    const [retried] = await customers.write!(client, [{ ...first, retry: true }]);
    const [resent] = await customers.write!(client, [{ ...first, retry: true }]);
    expect(retried).toMatchObject({ ok: true, action: 'created' });
    expect(resent).toMatchObject({ ok: true, targetId: (retried as { targetId: string }).targetId });
    expect((await emu.server.inject('GET', '/v1/customers?email=five@x.test').then((r) => (r.body as { data: unknown[] }).data)).length).toBe(1);
  });

  it('writes an invoice as draft, items, finalize and send; a replay finishes nothing twice', async () => {
    const client = open();
    const [customer] = await stripe.entities.customers!.write!(client, [item('hs-inv', { email: 'inv@x.test' })]);
    const customerId = (customer as { targetId: string }).targetId;
    const payload = { customer: customerId, collection_method: 'send_invoice', days_until_due: 30, lines: [{ amount: 12_000, currency: 'usd', description: 'Consulting' }, { amount: 3_050, currency: 'usd', description: 'Travel' }], send: true };
    const [first] = await stripe.entities.invoices!.write!(client, [item('deal-1', payload)]);
    const [again] = await stripe.entities.invoices!.write!(client, [item('deal-1', payload)]);
    expect(again).toMatchObject({ ok: true, targetId: (first as { targetId: string }).targetId });
    const invoice = (await emu.server.inject('GET', `/v1/invoices/${(first as { targetId: string }).targetId}`)).body as { status: string; total: number; metadata: Record<string, string> };
    expect(invoice).toMatchObject({ status: 'open', total: 15_050, metadata: { ferry_key: 'deal-1' } });
    const items = (await emu.server.inject('GET', `/v1/invoiceitems?customer=${customerId}&limit=100`)).body as { data: unknown[] };
    expect(items.data).toHaveLength(2);
    // Long after, with Stripe's memory of the key gone: the retry looks the invoice up by its ferry_key. The
    // ledger never recorded it, so for the ledger it is the record's first invoice: created, once.
    const [late] = await stripe.entities.invoices!.write!(client, [item('deal-1', payload, { idempotencyKey: 'forgotten', retry: true })]);
    expect(late).toMatchObject({ ok: true, action: 'created', targetId: (first as { targetId: string }).targetId });
    expect(((await emu.server.inject('GET', `/v1/invoiceitems?customer=${customerId}&limit=100`)).body as { data: unknown[] }).data).toHaveLength(2);
    expect(await stripe.entities.invoices!.find!(client, item('deal-1', payload))).toBe((first as { targetId: string }).targetId);
  });

  it('brings an unfinished draft found again under a new key to the flow\'s state: its lines, finalized, sent once', async () => {
    const client = open();
    const [customer] = await stripe.entities.customers!.write!(client, [item('hs-draft', { email: 'draft@x.test' })]);
    const customerId = (customer as { targetId: string }).targetId;
    const line = (amount: number, description: string) => ({ amount, currency: 'usd', description });
    // An earlier attempt left a draft whose second line the source has since changed.
    const [left] = await stripe.entities.invoices!.write!(client, [item('deal-draft', { customer: customerId, lines: [line(1_000, 'Setup'), line(500, 'Old')], finalize: false })]);
    const id = (left as { targetId: string }).targetId;
    const final = { customer: customerId, collection_method: 'send_invoice', days_until_due: 30, lines: [line(1_000, 'Setup'), line(700, 'Support'), line(300, 'Travel')], send: true };
    // Settling a crash does not adopt the draft as the invoice the flow wants: the record is written again.
    expect(await stripe.entities.invoices!.find!(client, item('deal-draft', final, { retry: true }))).toBeUndefined();
    const [done] = await stripe.entities.invoices!.write!(client, [item('deal-draft', final, { idempotencyKey: 'ferry-next-run', retry: true })]);
    expect(done).toMatchObject({ ok: true, targetId: id });
    const invoice = (await emu.server.inject('GET', `/v1/invoices/${id}`)).body as { status: string; total: number; lines: { data: { description: string }[] } };
    expect(invoice).toMatchObject({ status: 'open', total: 2_000 });
    expect(invoice.lines.data.map((l) => l.description).sort()).toEqual(['Setup', 'Support', 'Travel']);
    expect(await stripe.entities.invoices!.find!(client, item('deal-draft', final, { retry: true }))).toBe(id);
    // Found once more (another run, another key): already sent, so not sent again.
    await stripe.entities.invoices!.write!(client, [item('deal-draft', final, { idempotencyKey: 'ferry-third-run', retry: true })]);
    const sent = (await emu.server.inject('GET', '/v1/events?type=invoice.sent&limit=100')).body as { data: { data: { object: { id: string } } }[] };
    expect(sent.data.filter((e) => e.data.object.id === id)).toHaveLength(1);
  });

  it('finds line prices by lookup key, sells at an agreed price on the same product, and refuses an unknown key before writing', async () => {
    const client = open();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const product = (await emu.server.inject('POST', '/v1/products', 'name=Lamp', form)).body as { id: string };
    await emu.server.inject('POST', '/v1/prices', `product=${product.id}&unit_amount=2500&currency=usd&lookup_key=SKU-LAMP`, form);
    const [customer] = await stripe.entities.customers!.write!(client, [item('hs-lk', { email: 'lk@x.test' })]);
    const customerId = (customer as { targetId: string }).targetId;
    const payload = { customer: customerId, lines: [{ lookup_key: 'SKU-LAMP', quantity: 2 }, { lookup_key: 'SKU-LAMP', unit_amount: 2000, quantity: 1 }] };
    const [written] = await stripe.entities.invoices!.write!(client, [item('deal-lk', payload)]);
    const [invoice] = await stripe.entities.invoices!.get!(client, [(written as { targetId: string }).targetId]);
    const lines = (invoice!.lines as { data: { amount: number; quantity: number; pricing: { price_details: { product: string }; unit_amount_decimal: unknown } }[] }).data;
    expect(lines.map((l) => [l.amount, l.quantity, l.pricing.price_details.product]).sort()).toEqual([[2000, 1, product.id], [5000, 2, product.id]]);
    // Plain JSON as on the wire, not the SDK's Decimal objects.
    expect(lines.map((l) => l.pricing.unit_amount_decimal).sort()).toEqual(['2000', '2500']);

    const invoicesBefore = ((await emu.server.inject('GET', `/v1/invoices?customer=${customerId}`)).body as { data: unknown[] }).data.length;
    const [refused] = await stripe.entities.invoices!.write!(client, [item('deal-bad', { customer: customerId, lines: [{ lookup_key: 'NO-SUCH-SKU' }] })]);
    expect(refused).toMatchObject({ ok: false, error: { kind: 'permanent', field: 'lines[0].lookup_key' } });
    expect(((await emu.server.inject('GET', `/v1/invoices?customer=${customerId}`)).body as { data: unknown[] }).data).toHaveLength(invoicesBefore);
  });

  it('tells each payment the invoice it paid: linked by Stripe, named in the payment, or none', async () => {
    const client = open();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const post = async (path: string, body: string) => (await emu.server.inject('POST', path, body, form)).body as Record<string, unknown>;
    const customer = await post('/v1/customers', 'email=cash@x.test');
    const invoice = async () => {
      const draft = await post('/v1/invoices', `customer=${String(customer.id)}&collection_method=send_invoice&days_until_due=30`);
      await post('/v1/invoiceitems', `customer=${String(customer.id)}&invoice=${String(draft.id)}&amount=4200&currency=usd`);
      return post(`/v1/invoices/${String(draft.id)}/finalize`, '');
    };
    const [paid, named] = [await invoice(), await invoice()];
    await post(`/v1/invoices/${String(paid.id)}/pay`, '');
    const byReference = await post('/v1/payment_intents', `amount=4200&currency=usd&customer=${String(customer.id)}&payment_method=pm_card_visa&confirm=true&description=${encodeURIComponent(`Transfer for ${String(named.number)}`)}`);
    const stray = await post('/v1/payment_intents', `amount=999&currency=usd&customer=${String(customer.id)}&payment_method=pm_card_visa&confirm=true`);

    const intents = (await emu.server.inject('GET', `/v1/payment_intents?customer=${String(customer.id)}`)).body as { data: { id: string }[] };
    const records = await stripe.entities.payment_intents!.get!(client, intents.data.map((i) => i.id));
    const matched = Object.fromEntries(records.map((r) => [String(r.id), [(r.invoice as { id: string } | null)?.id ?? null, r.invoice_matched_by]]));
    const payingIntent = records.find((r) => r.id !== byReference.id && r.id !== stray.id)!;
    expect(matched).toEqual({
      [String(payingIntent.id)]: [paid.id, 'invoice_payment'],
      [String(byReference.id)]: [named.id, 'reference'],
      [String(stray.id)]: [null, null],
    });
    expect(payingIntent.invoice).toMatchObject({ number: paid.number, total: 4200, amount_due: 4200, amount_paid: 4200, status: 'paid' });
  });

  it('reads changes through events since the cursor, each object once in its latest state', async () => {
    const client = open();
    const since = new Date(Date.now() - 1_000);
    const [c] = await stripe.entities.customers!.write!(client, [item('ev-1', { email: 'ev@x.test', name: 'Before' })]);
    await stripe.entities.customers!.write!(client, [item('ev-1', { email: 'ev@x.test', name: 'After' }, { targetId: (c as { targetId: string }).targetId })]);
    const records = [];
    for await (const page of stripe.entities.customers!.read!(client, { since })) records.push(...page.records);
    const mine = records.filter((r) => r.id === (c as { targetId: string }).targetId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.name).toBe('After');
    expect(stripe.entities.customers!.updatedAt!(mine[0]!)).toMatch(/^\d{4}-/);
    const old = new Date(Date.now() - 40 * 86_400_000);
    for await (const page of stripe.entities.customers!.read!(client, { since: old })) {
      expect(page.fullReadReason).toMatch(/30 days/);
      break;
    }
  });

  it('one invoice refused does not stop the others, and keeps Stripe’s param as the field', async () => {
    const client = open();
    const results = await stripe.entities.invoices!.write!(client, [item('bad', { customer: 'cus_missing', lines: [{ amount: 100, currency: 'usd' }] })]);
    expect(results[0]).toMatchObject({ ok: false });
    const error = (results[0] as { error: PermanentError }).error;
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ status: 404, code: 'resource_missing' });
  });

  it('maps Stripe’s errors to Ferry’s classes', async () => {
    const read = async (reply: [number, object]) => {
      nock('https://stripe.mocked').get('/v1/customers').query(true).reply(...reply);
      const client = open('https://stripe.mocked', 'sk_test_x');
      for await (const _ of stripe.entities.customers!.read!(client, {})) return;
    };
    expect(await read([429, { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } }]).catch((e: unknown) => e)).toMatchObject({ constructor: TransientError, status: 429 });
    expect(await read([401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }]).catch((e: unknown) => e)).toBeInstanceOf(AuthError);
    expect(await read([500, { error: { type: 'api_error', message: 'boom' } }]).catch((e: unknown) => e)).toBeInstanceOf(TransientError);
  });

  it('sends each step of an invoice with its own idempotency key, derived from the record’s', async () => {
    const keys: string[] = [];
    const invoice = (status: string) => ({ id: 'in_nock', object: 'invoice', status, metadata: {}, lines: { object: 'list', data: [], has_more: false } });
    nock('https://stripe.mocked')
      .persist()
      .post(/\/v1\/(invoices|invoiceitems)(\/in_nock(\/(finalize|send))?)?$/)
      .reply(function () {
        keys.push(String(this.req.headers['idempotency-key']));
        return [200, this.req.path.startsWith('/v1/invoiceitems') ? { id: `ii_${keys.length}`, object: 'invoiceitem' } : invoice(this.req.path === '/v1/invoices' ? 'draft' : 'open')];
      });
    const payload = { customer: 'cus_nock', lines: [{ amount: 1000, currency: 'usd' }, { amount: 250, currency: 'usd' }], send: true };
    const [result] = await stripe.entities.invoices!.write!(open('https://stripe.mocked', 'sk_test_x'), [item('deal-9', payload, { idempotencyKey: 'ferry-abc' })]);
    expect(result).toMatchObject({ ok: true, targetId: 'in_nock', action: 'created' });
    // The last step marks it sent, which Stripe's invoice object cannot tell a later attempt.
    expect(keys).toEqual(['ferry-abc:draft', 'ferry-abc:line:0', 'ferry-abc:line:1', 'ferry-abc:finalize', 'ferry-abc:send', 'ferry-abc:sent']);
  });

  it('pages lists with starting_after, and reads changes since the cursor from the Events API (nock)', async () => {
    const customer = (id: string) => ({ id, object: 'customer', created: 1_790_000_000, email: `${id}@x.test`, metadata: {} });
    const startingAfter: (string | undefined)[] = [];
    nock('https://stripe.mocked')
      .get('/v1/customers')
      .query((q) => (startingAfter.push(q.starting_after as string | undefined), q.starting_after === undefined))
      .reply(200, { object: 'list', data: [customer('cus_a'), customer('cus_b')], has_more: true, url: '/v1/customers' })
      .get('/v1/customers')
      .query((q) => q.starting_after === 'cus_b')
      .reply(200, { object: 'list', data: [customer('cus_c')], has_more: false, url: '/v1/customers' });
    const client = open('https://stripe.mocked', 'sk_test_x');
    const full: unknown[] = [];
    for await (const page of stripe.entities.customers!.read!(client, {})) full.push(...page.records.map((r) => r.id));
    expect(full).toEqual(['cus_a', 'cus_b', 'cus_c']);

    const since = new Date('2026-11-20T00:00:00Z');
    const event = (id: string, created: number, name: string) => ({ id, object: 'event', type: 'customer.updated', created, data: { object: { ...customer('cus_a'), name } } });
    let asked: Record<string, unknown> = {};
    nock('https://stripe.mocked')
      .get('/v1/events')
      .query((q) => ((asked = q), true))
      .reply(200, { object: 'list', data: [event('evt_2', 1_795_700_100, 'Newer'), event('evt_1', 1_795_700_000, 'Older')], has_more: false, url: '/v1/events' });
    const changed = [];
    for await (const page of stripe.entities.customers!.read!(client, { since })) changed.push(...page.records);
    expect(asked.type).toBe('customer.*');
    expect(asked['created[gte]']).toBe(String(since.getTime() / 1000));
    expect(changed.map((r) => [r.id, r.name])).toEqual([['cus_a', 'Newer']]);
    expect(stripe.entities.customers!.updatedAt!(changed[0]!)).toBe(new Date(1_795_700_100_000).toISOString());
  });
});
