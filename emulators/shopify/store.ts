/**
 * The Shopify emulator's state: objects by table, inventory levels by item and location, ids and order
 * numbers from a seed, and a clock of second precision that never runs backwards; saved and restored whole.
 */
import { seededRandom } from '../core/random.js';
import { VendorError } from '../core/server.js';
import type { Table } from './graphql/views.js';
import type { ShopifyObject } from './objects.js';
import { tableIn } from '../core/tables.js';

export type Params = Record<string, unknown>;

/** Shopify's REST error: `{"errors": …}` with the status. */
export const fail = (status: number, errors: unknown): never => {
  throw new VendorError({ status, body: { errors } });
};

interface Saved {
  tables: [Table, ShopifyObject[]][];
  levels: [string, ShopifyObject][];
  nextId: number;
  nextOrderNumber: number;
  lastTime: number;
}

export class ShopifyStore {
  private readonly tables = new Map<Table, Map<number, ShopifyObject>>();
  /** Inventory levels by `inventory_item_id:location_id`. */
  readonly levels = new Map<string, ShopifyObject>();
  private nextId = 1_000_000;
  protected nextOrderNumber = 1001;
  private readonly random: () => number;
  /** Shopify timestamps have second precision; the clock never runs backwards. */
  private lastTime = 0;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  get(name: Table, id: number): ShopifyObject | undefined {
    return this.table(name).get(id);
  }

  all(name: Table): ShopifyObject[] {
    return [...this.table(name).values()];
  }

  find(name: Table, id: unknown): ShopifyObject {
    return this.table(name).get(Number(id)) ?? fail(404, 'Not Found');
  }

  now(): string {
    this.lastTime = Math.max(this.lastTime, Math.floor(Date.now() / 1000));
    return new Date(this.lastTime * 1000).toISOString().replace('.000Z', '-00:00');
  }

  protected id(): number {
    this.nextId += 1 + Math.floor(this.random() * 7);
    return this.nextId;
  }

  protected add(name: Table, object: ShopifyObject): ShopifyObject {
    this.table(name).set(Number(object.id), object);
    return object;
  }

  private table(name: Table): Map<number, ShopifyObject> {
    return tableIn(this.tables, name);
  }

  snapshot(): Saved {
    return { tables: [...this.tables].map(([name, table]) => [name, [...table.values()]]), levels: [...this.levels], nextId: this.nextId, nextOrderNumber: this.nextOrderNumber, lastTime: this.lastTime };
  }

  restore(saved: Saved): void {
    this.tables.clear();
    for (const [name, objects] of saved.tables) for (const object of objects) this.add(name, object);
    this.levels.clear();
    for (const [key, level] of saved.levels) this.levels.set(key, level);
    this.nextId = saved.nextId;
    this.nextOrderNumber = saved.nextOrderNumber;
    this.lastTime = saved.lastTime;
  }
}
