/**
 * New business on top of an existing one, for `ferry demo --activity N`: new orders, payments of
 * orders on terms, and refunds, made through the Shopify emulator's own API (so they carry the same
 * webhooks and timestamps a real shop would). What already exists is read through the API too.
 */
import type { EmulatorServer } from './core/server.js';
import { seededRandom } from './core/random.js';
import { capture, createOrder, refundOneUnit, type ShopifyOrder } from './seed.js';

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
  const refundable = orders.filter((o) => o.financial_status === 'paid' && o.gateway !== 'manual' && !o.refunds.length);
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
