/**
 * A coherent small business, generated from a seed, loaded into the emulators through their own request
 * handlers (`EmulatorServer.inject`), so seeded objects are exactly what the APIs would have produced:
 * one catalog whose SKUs match across Shopify products, QuickBooks items and Stripe products; customers
 * present in some systems and not others; Shopify orders mostly paid at checkout, some B2B on terms
 * paid later, with taxes, discounts, shipping and partial refunds; HubSpot deals across pipeline stages
 * with line items; Stripe payments, some failed and some refunded.
 */
import qs from 'qs';
import { randomToken, seededRandom } from './core/random.js';
import type { EmulatorServer } from './core/server.js';

export type DataSize = 'small' | 'demo' | 'large' | 'huge';
export const DATA_SIZES: DataSize[] = ['small', 'demo', 'large', 'huge'];

const SIZES: Record<DataSize, { catalog: number; customers: number; orders: number; companies: number; deals: number; payments: number }> = {
  small: { catalog: 8, customers: 12, orders: 40, companies: 4, deals: 8, payments: 10 },
  demo: { catalog: 20, customers: 60, orders: 300, companies: 12, deals: 30, payments: 40 },
  large: { catalog: 50, customers: 400, orders: 3000, companies: 60, deals: 200, payments: 300 },
  huge: { catalog: 80, customers: 1000, orders: 10000, companies: 100, deals: 400, payments: 600 },
};

const PRODUCT_WORDS = ['Mug', 'Tote', 'Notebook', 'Candle', 'Lamp', 'Chair', 'Poster', 'Blanket', 'Vase', 'Clock', 'Kettle', 'Planter', 'Apron', 'Tray', 'Basket'];
const FIRST = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kai', 'Lia', 'Max', 'Noor', 'Oto', 'Pia'];
const LAST = ['Archer', 'Baker', 'Cho', 'Diaz', 'Evans', 'Fox', 'Garcia', 'Hughes', 'Ito', 'Jones', 'Khan', 'Lopez', 'Meyer', 'Nagy', 'Ortiz', 'Patel'];
const STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedwon', 'closedlost'];

export interface Business {
  catalog: { sku: string; name: string; priceCents: number; stock: number }[];
  customers: { first: string; last: string; email: string; inShopify: boolean; inQuickBooks: boolean; inStripe: boolean }[];
  companies: { name: string; domain: string; email: string }[];
  size: (typeof SIZES)[DataSize];
  random: () => number;
}

export function generateBusiness(seed: number, size: DataSize): Business {
  const random = seededRandom(seed);
  const sizes = SIZES[size];
  const catalog = Array.from({ length: sizes.catalog }, (_, i) => ({
    sku: `FRY-${String(i + 1).padStart(3, '0')}`,
    name: `${PRODUCT_WORDS[i % PRODUCT_WORDS.length]!}${i >= PRODUCT_WORDS.length ? ` ${Math.floor(i / PRODUCT_WORDS.length) + 1}` : ''}`,
    priceCents: 500 + Math.floor(random() * 180) * 25,
    stock: 20 + Math.floor(random() * 200),
  }));
  const customers = Array.from({ length: sizes.customers }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length + i) % LAST.length]!;
    return { first, last, email: `${first}.${last}.${i}@example.com`.toLowerCase(), inShopify: true, inQuickBooks: random() < 0.3, inStripe: random() < 0.2 };
  });
  const companies = Array.from({ length: sizes.companies }, (_, i) => {
    const name = `${LAST[i % LAST.length]!} ${['Trading', 'Interiors', 'Supply', 'Studio'][i % 4]!}${i >= LAST.length ? ` ${i}` : ''}`;
    const domain = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.test`;
    return { name, domain, email: `ap@${domain}` };
  });
  return { catalog, customers, companies, size: sizes, random };
}

const money = (cents: number) => (cents / 100).toFixed(2);
const pick = <T>(random: () => number, list: T[]): T => list[Math.floor(random() * list.length)]!;

/** One request through the emulator's own handlers; anything but success is an error. */
export async function ok(server: EmulatorServer, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await server.inject(method, path, body, headers);
  if (response.status >= 300) throw new Error(`${server.behaviour.name}: ${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body as Record<string, unknown>;
}

const SHOPIFY_API = '/admin/api/2026-07';

export async function seedShopify(server: EmulatorServer, business: Business): Promise<void> {
  const { random } = business;
  const variants: { id: number; priceCents: number }[] = [];
  for (const item of business.catalog) {
    const { product } = (await ok(server, 'POST', `${SHOPIFY_API}/products.json`, { product: { title: item.name, variants: [{ sku: item.sku, price: money(item.priceCents), inventory_quantity: item.stock }] } })) as { product: { variants: { id: number }[] } };
    variants.push({ id: product.variants[0]!.id, priceCents: item.priceCents });
  }
  const customerIds: number[] = [];
  for (const c of business.customers) {
    const { customer } = (await ok(server, 'POST', `${SHOPIFY_API}/customers.json`, { customer: { email: c.email, first_name: c.first, last_name: c.last } })) as { customer: { id: number } };
    customerIds.push(customer.id);
  }
  const dayMs = 86_400_000;
  const start = Date.now() - 60 * dayMs;
  for (let i = 0; i < business.size.orders; i++) {
    const created = new Date(start + Math.floor((i / business.size.orders) * 59 * dayMs)).toISOString();
    const { order, b2b } = await createOrder(server, random, { customerIds, variants, created });
    // Half of the B2B orders have been paid since; some paid orders, on terms or not, are partly refunded.
    const paid = !b2b || random() < 0.5;
    if (b2b && paid) await capture(server, order);
    if (paid && random() < 0.1) await refundOneUnit(server, order);
  }
}

export interface ShopifyOrder {
  id: number;
  total_price: string;
  financial_status?: string;
  line_items: { id: number; quantity: number }[];
}

/** A new order: one to three lines, sometimes a discount, usually shipping, 8% tax, 15% on Net 30 terms. */
export async function createOrder(
  server: EmulatorServer,
  random: () => number,
  choices: { customerIds: number[]; variants: { id: number; priceCents: number }[]; created?: string },
): Promise<{ order: ShopifyOrder; b2b: boolean }> {
  const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ v: pick(random, choices.variants), quantity: 1 + Math.floor(random() * 3) }));
  const lineTotal = lines.reduce((s, l) => s + l.v.priceCents * l.quantity, 0);
  const discount = random() < 0.2 ? Math.round(lineTotal * 0.1) : 0;
  const tax = Math.round((lineTotal - discount) * 0.08);
  const b2b = random() < 0.15;
  const { order } = (await ok(server, 'POST', `${SHOPIFY_API}/orders.json`, {
    order: {
      customer: { id: pick(random, choices.customerIds) },
      line_items: lines.map((l) => ({ variant_id: l.v.id, quantity: l.quantity })),
      discount_codes: discount ? [{ code: 'WELCOME10', amount: money(discount), type: 'percentage' }] : [],
      shipping_lines: random() < 0.7 ? [{ title: 'Standard', price: '5.00' }] : [],
      tax_lines: [{ title: 'Sales tax', price: money(tax), rate: 0.08 }],
      financial_status: b2b ? 'pending' : 'paid',
      tags: b2b ? 'b2b, net30' : '',
      payment_terms: b2b ? { payment_terms_name: 'Net 30', payment_terms_type: 'NET', due_in_days: 30 } : undefined,
      created_at: choices.created,
      processed_at: choices.created,
    },
  })) as { order: ShopifyOrder };
  return { order, b2b };
}

/** The customer pays an order on terms in full. */
export async function capture(server: EmulatorServer, order: ShopifyOrder): Promise<void> {
  await ok(server, 'POST', `${SHOPIFY_API}/orders/${order.id}/transactions.json`, { transaction: { kind: 'capture', amount: order.total_price } });
}

/** One unit of the first line comes back, damaged. */
export async function refundOneUnit(server: EmulatorServer, order: ShopifyOrder): Promise<void> {
  await ok(server, 'POST', `${SHOPIFY_API}/orders/${order.id}/refunds.json`, { refund: { note: 'damaged in transit', refund_line_items: [{ line_item_id: order.line_items[0]!.id, quantity: 1, restock_type: 'no_restock' }] } });
}

/** The credit limit of the customers seeded in QuickBooks. */
export const CREDIT_LIMIT = 200;

export async function seedQuickBooks(server: EmulatorServer, business: Business, realmId: string): Promise<void> {
  const base = `/v3/company/${realmId}`;
  for (const item of business.catalog) {
    await ok(server, 'POST', `${base}/item?minorversion=75`, { Name: item.name, Sku: item.sku, Type: 'Inventory', UnitPrice: item.priceCents / 100, QtyOnHand: item.stock, InvStartDate: '2026-01-01', TrackQtyOnHand: true });
  }
  for (const c of business.customers.filter((x) => x.inQuickBooks)) {
    // Customers finance already knew have a credit limit, set in QuickBooks (the credit check reads it).
    await ok(server, 'POST', `${base}/customer?minorversion=75`, { DisplayName: `${c.first} ${c.last} (${c.email})`, GivenName: c.first, FamilyName: c.last, PrimaryEmailAddr: { Address: c.email }, CreditLimit: CREDIT_LIMIT });
  }
}

export async function seedStripe(server: EmulatorServer, business: Business): Promise<void> {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const post = (path: string, params: object) => ok(server, 'POST', path, qs.stringify(params), form);
  const prices: string[] = [];
  for (const item of business.catalog) {
    const product = await post('/v1/products', { name: item.name, metadata: { sku: item.sku } });
    prices.push(String((await post('/v1/prices', { product: String(product.id), unit_amount: item.priceCents, currency: 'usd', lookup_key: item.sku })).id));
  }
  const customers: string[] = [];
  for (const c of business.customers.filter((x) => x.inStripe)) customers.push(String((await post('/v1/customers', { email: c.email, name: `${c.first} ${c.last}` })).id));
  const { random } = business;
  // Invoices for some customers, most paid: payments that belong to invoices.
  for (const [i, customer] of customers.entries()) {
    const invoice = await post('/v1/invoices', { customer, collection_method: 'send_invoice', days_until_due: 30, description: `Seed invoice ${i + 1}` });
    const n = Math.floor(random() * business.catalog.length);
    await post('/v1/invoiceitems', { customer, invoice: String(invoice.id), pricing: { price: prices[n] }, quantity: 1 + Math.floor(random() * 4), description: business.catalog[n]!.name });
    await post(`/v1/invoices/${String(invoice.id)}/finalize`, {});
    if (random() < 0.7) await post(`/v1/invoices/${String(invoice.id)}/pay`, {});
  }
  // Card payments at checkout, mostly from guests; a few from known customers that pay no invoice.
  for (let i = 0; i < business.size.payments; i++) {
    const declined = random() < 0.1;
    const customer = customers.length && random() < 0.1 ? pick(random, customers) : undefined;
    const params = { amount: 1000 + Math.floor(random() * 400) * 25, currency: 'usd', customer, payment_method: declined ? 'pm_card_chargeDeclined' : 'pm_card_visa', confirm: true, description: `Seed payment ${i + 1}` };
    const response = await server.inject('POST', '/v1/payment_intents', qs.stringify(params), form);
    if (response.status === 200 && random() < 0.1) await post('/v1/refunds', { payment_intent: String((response.body as { id: string }).id), amount: 500 });
  }
}

export async function seedHubSpot(server: EmulatorServer, business: Business): Promise<void> {
  const { random } = business;
  const products: { id: string; sku: string; priceCents: number; name: string }[] = [];
  for (const item of business.catalog) {
    const product = await ok(server, 'POST', '/crm/v3/objects/products', { properties: { name: item.name, hs_sku: item.sku, price: money(item.priceCents) } });
    products.push({ id: String(product.id), sku: item.sku, priceCents: item.priceCents, name: item.name });
  }
  const companyIds: string[] = [];
  for (const c of business.companies) {
    const company = await ok(server, 'POST', '/crm/v3/objects/companies', { properties: { name: c.name, domain: c.domain } });
    companyIds.push(String(company.id));
    await ok(server, 'POST', '/crm/v3/objects/contacts', { properties: { email: c.email, firstname: 'Accounts', lastname: 'Payable', company: c.name }, associations: [{ to: { id: company.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 }] }] });
  }
  for (let i = 0; i < business.size.deals; i++) {
    const companyId = pick(random, companyIds);
    const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ p: pick(random, products), quantity: 1 + Math.floor(random() * 20) }));
    const amount = lines.reduce((s, l) => s + l.p.priceCents * l.quantity, 0);
    const deal = await ok(server, 'POST', '/crm/v3/objects/deals', {
      properties: { dealname: `Order ${randomToken(random, 4).toUpperCase()}`, dealstage: pick(random, STAGES), pipeline: 'default', amount: money(amount), closedate: new Date().toISOString() },
      associations: [{ to: { id: companyId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 341 }] }],
    });
    for (const l of lines) {
      await ok(server, 'POST', '/crm/v3/objects/line_items', {
        properties: { name: l.p.name, hs_sku: l.p.sku, hs_product_id: l.p.id, quantity: String(l.quantity), price: money(l.p.priceCents) },
        associations: [{ to: { id: deal.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 20 }] }],
      });
    }
  }
}
