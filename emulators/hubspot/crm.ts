/**
 * The emulated portal's CRM: objects by type with their properties (HubSpot's defaults and Ferry's
 * custom ones), which of them are unique, associations, and HubSpot's rules for a write: unknown,
 * read-only and invalid values refused as one VALIDATION_ERROR, modification dates and a line item's
 * amount computed, every change told to `emit` (the webhooks). Saved and restored whole.
 */
import { randomUUID } from 'node:crypto';
import { type EmulatorResponse, VendorError } from '../core/server.js';
import { tableIn } from '../core/tables.js';

export type Properties = Record<string, string | null>;
export interface PropertyInput {
  name?: string;
  label?: string;
  type?: string;
  fieldType?: string;
  groupName?: string;
  hasUniqueValue?: boolean;
}
export interface CrmObject {
  id: string;
  properties: Properties;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export const OBJECT_TYPES = ['contacts', 'companies', 'deals', 'line_items', 'products'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** Each object's properties in the emulated portal, HubSpot's defaults plus Ferry's custom ones. */
const PROPERTIES: Record<ObjectType, string[]> = {
  contacts: ['email', 'firstname', 'lastname', 'phone', 'company', 'lifecyclestage', 'jobtitle', 'ferry_source_id'],
  companies: ['name', 'domain', 'phone', 'address', 'city', 'state', 'zip', 'country', 'industry', 'description', 'ferry_source_id', 'ferry_owner_field_source'],
  deals: ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'description', 'hubspot_owner_id', 'deal_currency_code', 'ferry_source_id', 'ferry_payment_status', 'ferry_amount_collected', 'ferry_paid_date', 'ferry_payment_terms'],
  line_items: ['name', 'quantity', 'price', 'amount', 'hs_product_id', 'hs_sku', 'description', 'discount', 'ferry_source_id'],
  products: ['name', 'price', 'hs_sku', 'description', 'ferry_source_id'],
};
/** Properties HubSpot keeps itself: readable, not writable. */
export const SYSTEM = ['hs_object_id', 'createdate', 'hs_lastmodifieddate', 'lastmodifieddate'];
/** Properties with unique values, which `idProperty` may name (email is unique for contacts). */
const UNIQUE: Record<ObjectType, string[]> = {
  contacts: ['hs_object_id', 'email', 'ferry_source_id'],
  companies: ['hs_object_id', 'ferry_source_id'],
  deals: ['hs_object_id', 'ferry_source_id'],
  line_items: ['hs_object_id', 'ferry_source_id'],
  products: ['hs_object_id', 'ferry_source_id'],
};
const DEAL_STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost'];
export const SINGULAR: Record<ObjectType, string> = { contacts: 'contact', companies: 'company', deals: 'deal', line_items: 'line_item', products: 'product' };

export interface CreateInput {
  properties?: Properties;
  associations?: { to: { id: string }; types?: { associationCategory: string; associationTypeId: number }[] }[];
}


/**
 * HubSpot's error body (https://developers.hubspot.com/docs/api/error-handling), in the shape of the
 * SDK's generated `Error` model: `status: "error"`, the message, a correlation id, the category, and
 * the individual problems in `errors[]`.
 */
export const error = (status: number, category: string, message: string, extra: Record<string, unknown> = {}): EmulatorResponse => ({
  status,
  body: { status: 'error', message, correlationId: randomUUID(), category, errors: [], ...extra },
});
export const fail = (status: number, category: string, message: string, extra?: Record<string, unknown>): never => {
  throw new VendorError(error(status, category, message, extra));
};


interface Saved {
  objects: [ObjectType, CrmObject[]][];
  associations: string[];
  nextId: number;
  lastMs: number;
}

export class HubSpotCrm {
  private readonly objects = new Map<ObjectType, Map<string, CrmObject>>();
  private readonly associations = new Set<string>();
  /** The portal's properties by object type, and which of them hold unique values. */
  readonly properties: Record<ObjectType, string[]>;
  readonly unique: Record<ObjectType, string[]>;
  private nextId = 5_000_000;
  private lastMs = 0;

  constructor(
    ferryProperties: boolean,
    private readonly emit: (subscriptionType: string, object: CrmObject, propertyName: string | undefined) => void,
  ) {
    const ours = (name: string) => ferryProperties || !name.startsWith('ferry_');
    this.properties = Object.fromEntries(OBJECT_TYPES.map((t) => [t, PROPERTIES[t].filter(ours)])) as Record<ObjectType, string[]>;
    this.unique = Object.fromEntries(OBJECT_TYPES.map((t) => [t, UNIQUE[t].filter(ours)])) as Record<ObjectType, string[]>;
  }

  /** Strictly increasing millisecond timestamps, so `hs_lastmodifieddate` orders every change. */
  now(): string {
    this.lastMs = Math.max(this.lastMs + 1, Date.now());
    return new Date(this.lastMs).toISOString();
  }

  all(type: ObjectType): CrmObject[] {
    return [...this.table(type).values()].filter((o) => !o.archived);
  }

  private table(type: ObjectType): Map<string, CrmObject> {
    return tableIn(this.objects, type);
  }

  find(type: ObjectType, id: string, idProperty?: string | null): CrmObject {
    const found = idProperty && idProperty !== 'hs_object_id' ? this.all(type).find((o) => o.properties[idProperty] === id) : this.table(type).get(id);
    if (!found || found.archived) fail(404, 'OBJECT_NOT_FOUND', 'resource not found');
    return found!;
  }

  /** Refuses unknown and read-only properties the way HubSpot does: one VALIDATION_ERROR naming each. */
  private checkProperties(type: ObjectType, properties: Properties, context?: string): void {
    const problems = Object.keys(properties)
      .filter((name) => !this.properties[type].includes(name))
      .map((name) => ({ isValid: false, message: SYSTEM.includes(name) ? `${name} is a read only property; its value cannot be set.` : `Property "${name}" does not exist`, error: SYSTEM.includes(name) ? 'READ_ONLY_VALUE' : 'PROPERTY_DOESNT_EXIST', name }));
    if (type === 'deals' && properties.dealstage && !DEAL_STAGES.includes(String(properties.dealstage))) {
      problems.push({ isValid: false, message: `${String(properties.dealstage)} was not one of the allowed options`, error: 'INVALID_OPTION', name: 'dealstage' });
    }
    const email = properties.email;
    if (type === 'contacts' && typeof email === 'string' && email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      problems.push({ isValid: false, message: `Email address ${email} is invalid`, error: 'INVALID_EMAIL', name: 'email' });
    }
    for (const name of ['amount', 'price', 'quantity', 'discount']) {
      const value = properties[name];
      if (value !== undefined && value !== null && value !== '' && !Number.isFinite(Number(value))) {
        problems.push({ isValid: false, message: `${String(value)} was not a valid number.`, error: 'INVALID_FLOAT', name });
      }
    }
    for (const name of this.unique[type].filter((n) => n !== 'hs_object_id')) {
      const value = properties[name];
      if (value && this.all(type).some((o) => o.id !== context && o.properties[name] === value)) {
        problems.push({ isValid: false, message: `A ${SINGULAR[type]} with the ${name} "${value}" already exists`, error: 'OBJECT_ALREADY_EXISTS', name });
      }
    }
    if (problems.length) {
      const errors = problems.map((p) => ({ message: p.message, code: p.error, context: { propertyName: [p.name] } }));
      fail(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(problems)}`, { errors });
    }
  }

  create(type: ObjectType, input: CreateInput): CrmObject {
    const properties = { ...(input.properties ?? {}) };
    this.checkProperties(type, properties);
    const id = String((this.nextId += 3));
    const now = this.now();
    if (type === 'deals') properties.pipeline ??= 'default';
    const object: CrmObject = { id, properties: this.derived(type, { ...properties, hs_object_id: id, createdate: now }, now), createdAt: now, updatedAt: now, archived: false };
    this.table(type).set(id, object);
    for (const association of input.associations ?? []) {
      const toType = this.typeOfId(association.to.id) ?? fail(400, 'VALIDATION_ERROR', `No object with id ${association.to.id} to associate`);
      this.link(type, id, toType, association.to.id);
    }
    this.emit(`${SINGULAR[type]}.creation`, object, undefined);
    return object;
  }

  update(type: ObjectType, object: CrmObject, properties: Properties): CrmObject {
    this.checkProperties(type, properties, object.id);
    const now = this.now();
    const changed = Object.keys(properties).filter((k) => object.properties[k] !== properties[k]);
    object.properties = this.derived(type, { ...object.properties, ...properties }, now);
    object.updatedAt = now;
    for (const name of changed) this.emit(`${SINGULAR[type]}.propertyChange`, object, name);
    return object;
  }

  /** What HubSpot computes: modification dates and a line item's amount. */
  private derived(type: ObjectType, properties: Properties, now: string): Properties {
    const out: Properties = { ...properties, hs_lastmodifieddate: now };
    if (type === 'contacts') out.lastmodifieddate = now;
    if (type === 'line_items' && out.price !== undefined) {
      const cents = Math.round(Number(out.price ?? 0) * 100) * Number(out.quantity ?? 1) - Math.round(Number(out.discount ?? 0) * 100);
      out.amount = (cents / 100).toFixed(2);
    }
    return out;
  }

  typeOfId(id: string): ObjectType | undefined {
    return OBJECT_TYPES.find((t) => this.table(t).has(id));
  }

  link(fromType: ObjectType, fromId: string, toType: ObjectType, toId: string): void {
    this.associations.add(`${fromType}:${fromId}:${toType}:${toId}`);
    this.associations.add(`${toType}:${toId}:${fromType}:${fromId}`);
  }

  associated(fromType: ObjectType, fromId: string, toType: ObjectType): string[] {
    const prefix = `${fromType}:${fromId}:${toType}:`;
    return [...this.associations].filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length));
  }

  /** An object by id, archived or not. */
  byId(type: ObjectType, id: string): CrmObject | undefined {
    return this.table(type).get(id);
  }

  snapshot(): Saved {
    return { objects: [...this.objects].map(([type, table]) => [type, [...table.values()]]), associations: [...this.associations], nextId: this.nextId, lastMs: this.lastMs };
  }

  restore(saved: Saved): void {
    this.objects.clear();
    for (const [type, list] of saved.objects) for (const object of list) this.table(type).set(object.id, object);
    this.associations.clear();
    for (const a of saved.associations) this.associations.add(a);
    this.nextId = saved.nextId;
    this.lastMs = saved.lastMs;
  }
}
