/**
 * New business on top of an existing one, for `ferry demo --activity N`: new orders, payments of
 * orders on terms and refunds in Shopify; deals won in HubSpot and invoices paid in Stripe. All of it is
 * made through the emulators' own APIs (so it carries the same webhooks, events and timestamps a real
 * account would), and what already exists is read through the APIs too.
 */
import qs from 'qs';
import type { EmulatorServer } from './core/server.js';
import { seededRandom } from './core/random.js';
import { capture, createOrder, ok, refundOneUnit, type ShopifyOrder } from './seed.js';

const API = '/admin/api/2026-07';

export interface Activity {
  orders: number;
  payments: number;
  refunds: number;
}

export async function addShopifyActivity(server: EmulatorServer, count: number, seed: number): Promise<Activity> {
  const random = seededRandom(seed);
  const customers = await listAll<{ id: number }>(server, 'customers');
  const products = await listAll<{ variants: { id: number; price: string }[] }>(server, 'products');
  const orders = await listAll<ShopifyOrder & { refunds: unknown[] }>(server, 'orders', 'status=any');
  const variants = products.flatMap((p) => p.variants.map((v) => ({ id: v.id, priceCents: Math.round(Number(v.price) * 100) })));
  const unpaid = orders.filter((o) => o.financial_status === 'pending');
  const refundable = orders.filter((o) => o.financial_status === 'paid' && !o.refunds.length);
  const done: Activity = { orders: 0, payments: 0, refunds: 0 };
  for (let i = 0; i < count; i++) {
    const roll = random();
    if (roll < 0.2 && unpaid.length) {
      await capture(server, unpaid.splice(Math.floor(random() * unpaid.length), 1)[0]!);
      done.payments++;
    } else if (roll < 0.35 && refundable.length) {
      await refundOneUnit(server, refundable.splice(Math.floor(random() * refundable.length), 1)[0]!);
      done.refunds++;
    } else {
      const { order, b2b } = await createOrder(server, random, { customerIds: customers.map((c) => c.id), variants });
      (b2b ? unpaid : refundable).push({ ...order, refunds: [] });
      done.orders++;
    }
  }
  return done;
}

/** Every record of a list endpoint, following Shopify's `Link` header. */
async function listAll<T>(server: EmulatorServer, resource: string, query = ''): Promise<T[]> {
  const out: T[] = [];
  let path: string | undefined = `${API}/${resource}.json?limit=250${query ? `&${query}` : ''}`;
  while (path) {
    const response = await server.inject('GET', path);
    if (response.status !== 200) throw new Error(`listing ${resource}: ${response.status} ${JSON.stringify(response.body)}`);
    out.push(...((response.body as Record<string, T[]>)[resource] ?? []));
    const next = /<([^>]+)>; rel="next"/.exec(String(response.headers?.link ?? ''))?.[1];
    path = next ? new URL(next, 'http://emulator').pathname + new URL(next, 'http://emulator').search : undefined;
  }
  return out;
}

export interface SalesActivity {
  dealsWon: number;
  invoicesPaid: number;
  /** Payments attached to an invoice for less than it asks: exceptions the cash-application flow holds. */
  partPayments: number;
}

const OPEN_STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent'];

/** Sales moves: an open deal is won, or a customer pays an open Stripe invoice (one payment in eight short). */
export async function addSalesActivity(hubspot: EmulatorServer, stripe: EmulatorServer, count: number, seed: number): Promise<SalesActivity> {
  const random = seededRandom(seed);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const post = (path: string, params: object) => ok(stripe, 'POST', path, qs.stringify(params), form);

  const openDeals: string[] = [];
  for (let after: string | undefined = '0'; after !== undefined; ) {
    const page = (await ok(hubspot, 'POST', '/crm/v3/objects/deals/search', { filterGroups: [{ filters: [{ propertyName: 'dealstage', operator: 'IN', values: OPEN_STAGES }] }], properties: ['dealstage'], limit: 200, after })) as { results: { id: string }[]; paging?: { next?: { after: string } } };
    openDeals.push(...page.results.map((d) => d.id));
    after = page.paging?.next?.after;
  }
  const openInvoices = ((await ok(stripe, 'GET', '/v1/invoices?status=open&limit=100')) as { data: { id: string; customer: string; amount_remaining: number }[] }).data;

  const done: SalesActivity = { dealsWon: 0, invoicesPaid: 0, partPayments: 0 };
  for (let i = 0; i < count; i++) {
    if ((random() < 0.5 || !openInvoices.length) && openDeals.length) {
      const id = openDeals.splice(Math.floor(random() * openDeals.length), 1)[0]!;
      await ok(hubspot, 'PATCH', `/crm/v3/objects/deals/${id}`, { properties: { dealstage: 'closedwon', closedate: new Date().toISOString() } });
      done.dealsWon++;
    } else if (openInvoices.length) {
      const invoice = openInvoices.splice(Math.floor(random() * openInvoices.length), 1)[0]!;
      if (random() < 0.125 && invoice.amount_remaining >= 100) {
        const intent = await post('/v1/payment_intents', { amount: Math.floor(invoice.amount_remaining / 2), currency: 'usd', customer: invoice.customer, payment_method: 'pm_card_visa', confirm: true });
        await post(`/v1/invoices/${invoice.id}/attach_payment`, { payment_intent: String(intent.id) });
        done.partPayments++;
      } else {
        await post(`/v1/invoices/${invoice.id}/pay`, {});
        done.invoicesPaid++;
      }
    }
  }
  return done;
}
