/**
 * The mutations a sync writes with, on the same store the REST routes change (so the same webhooks
 * follow). Failures the merchant could fix come back as `userErrors` with HTTP 200, as Shopify answers.
 */
import { GraphQLError, type GraphQLResolveInfo, valueFromASTUntyped } from 'graphql';
import { VendorError } from '../../core/server.js';
import type { ShopifyObject } from '../objects.js';
import { type Args, built, type Field, parseGid, type Store, View } from './views.js';

export interface WritableStore extends Store {
  createCustomer(input: ShopifyObject): ShopifyObject;
  updateCustomer(id: string, input: ShopifyObject): ShopifyObject;
  setLevel(params: ShopifyObject, mode: 'set'): ShopifyObject;
  now(): string;
}

interface UserError {
  field: string[] | null;
  message: string;
  code?: string | null;
}

/** A REST 422 (`{"errors":{"email":["has already been taken"]}}`) as GraphQL user errors. */
function userErrorsOf(error: unknown): UserError[] {
  if (!(error instanceof VendorError) || error.response.status !== 422) throw error;
  const errors = (error.response.body as { errors: Record<string, string[]> }).errors;
  return Object.entries(errors).flatMap(([field, messages]) =>
    messages.map((m) => ({ field: field === 'customer' ? null : [field], message: `${field[0]!.toUpperCase()}${field.slice(1).replace(/_/g, ' ')} ${m}` })),
  );
}

/** CustomerInput → the REST customer fields. */
function customerFields(input: Args): ShopifyObject {
  const out: ShopifyObject = {};
  const names: Record<string, string> = { email: 'email', firstName: 'first_name', lastName: 'last_name', phone: 'phone', note: 'note', taxExempt: 'tax_exempt' };
  for (const [from, to] of Object.entries(names)) if (from in input) out[to] = input[from];
  if (Array.isArray(input.tags)) out.tags = (input.tags as string[]).join(', ');
  return out;
}

/** The key of an `@idempotent(key:)` directive on the mutation field, if any. */
function idempotencyKey(info: GraphQLResolveInfo): string | undefined {
  const directive = info.fieldNodes[0]?.directives?.find((d) => d.name.value === 'idempotent');
  const key = directive?.arguments?.find((a) => a.name.value === 'key');
  return key ? String(valueFromASTUntyped(key.value, info.variableValues)) : undefined;
}

/** Inventory reasons Shopify accepts (https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps#inventory-reasons). */
const REASONS = new Set(['correction', 'cycle_count_available', 'damaged', 'movement_created', 'movement_updated', 'movement_received', 'movement_canceled', 'other', 'promotion', 'quality_control', 'received', 'reservation_created', 'reservation_deleted', 'reservation_updated', 'restock', 'safety_stock', 'shrinkage']);

export function mutations(store: WritableStore): Record<string, Record<string, Field>> {
  const replies = new Map<string, { input: string; payload: unknown }>();

  const setQuantities = (input: Args) => {
    const errors: (UserError & { code: string | null })[] = [];
    if (!['available', 'on_hand'].includes(String(input.name))) errors.push({ field: ['input', 'name'], message: 'The quantity name must be available or on_hand.', code: 'INVALID_NAME' });
    if (!REASONS.has(String(input.reason))) errors.push({ field: ['input', 'reason'], message: 'The reason is not a valid inventory reason.', code: 'INVALID_REASON' });
    const quantities = input.quantities as Args[];
    quantities.forEach((q, i) => {
      const item = parseGid(q.inventoryItemId);
      const location = parseGid(q.locationId);
      const level = item && location ? store.levels.get(`${item.id}:${location.id}`) : undefined;
      // Since 2026-04 every quantity names the quantity it expects to change from; null opts out of the check.
      if (!('changeFromQuantity' in q)) errors.push({ field: ['input', 'quantities', String(i), 'changeFromQuantity'], message: 'changeFromQuantity is required; pass null to skip the check.', code: null });
      else if (!item || !store.get('inventory_items', item.id)) errors.push({ field: ['input', 'quantities', String(i), 'inventoryItemId'], message: 'The specified inventory item could not be found.', code: 'INVALID_INVENTORY_ITEM' });
      else if (!location || !store.get('locations', location.id)) errors.push({ field: ['input', 'quantities', String(i), 'locationId'], message: 'The specified location could not be found.', code: 'INVALID_LOCATION' });
      else if (!level) errors.push({ field: ['input', 'quantities', String(i), 'locationId'], message: 'The inventory item is not stocked at the location.', code: 'ITEM_NOT_STOCKED_AT_LOCATION' });
      else if (q.changeFromQuantity !== null && Number(q.changeFromQuantity) !== Number(level.available)) {
        errors.push({ field: ['input', 'quantities', String(i), 'changeFromQuantity'], message: `The specified changeFromQuantity (${String(q.changeFromQuantity)}) does not match the current quantity (${String(level.available)}).`, code: 'CHANGE_FROM_QUANTITY_STALE' });
      }
    });
    if (errors.length) return built({ inventoryAdjustmentGroup: null, userErrors: errors });
    const changes = quantities.map((q) => {
      const item = parseGid(q.inventoryItemId)!.id;
      const location = parseGid(q.locationId)!.id;
      const before = Number(store.levels.get(`${item}:${location}`)!.available);
      store.setLevel({ inventory_item_id: item, location_id: location, available: q.quantity }, 'set');
      return { name: String(input.name), delta: Number(q.quantity) - before, quantityAfterChange: Number(q.quantity), item: new View('InventoryItem', store.get('inventory_items', item)!), location: new View('Location', store.get('locations', location)!) };
    });
    const now = new Date(store.now()).toISOString().replace('.000Z', 'Z');
    return built({ inventoryAdjustmentGroup: { id: `gid://shopify/InventoryAdjustmentGroup/${Date.now()}`, createdAt: now, reason: String(input.reason), referenceDocumentUri: input.referenceDocumentUri ?? null, changes, app: null, staffMember: null }, userErrors: [] });
  };

  return {
    Mutation: {
      customerCreate: (_rest, args) => {
        try {
          return built({ customer: new View('Customer', store.createCustomer(customerFields(args.input as Args))), userErrors: [] });
        } catch (error) {
          return built({ customer: null, userErrors: userErrorsOf(error) });
        }
      },
      customerUpdate: (_rest, args) => {
        const input = args.input as Args;
        const id = parseGid(input.id);
        if (!id || !store.get('customers', id.id)) return built({ customer: null, userErrors: [{ field: ['id'], message: 'Customer does not exist' }] });
        try {
          return built({ customer: new View('Customer', store.updateCustomer(String(id.id), customerFields(input))), userErrors: [] });
        } catch (error) {
          return built({ customer: null, userErrors: userErrorsOf(error) });
        }
      },
      /**
       * Absolute quantities, compare-and-set per quantity, and since 2026-04 an `@idempotent(key:)` the
       * schema cannot require but Shopify does at run time (changelog, "Making idempotency mandatory for
       * inventory adjustments and refund mutations"): the same key answers what the first request got.
       */
      inventorySetQuantities: (_rest, args, _store, info) => {
        const key = idempotencyKey(info);
        if (!key) throw new GraphQLError('The @idempotent directive is required for this mutation.', { extensions: { code: 'BAD_REQUEST' } });
        const input = JSON.stringify(args.input);
        const earlier = replies.get(key);
        if (earlier && earlier.input !== input) return built({ inventoryAdjustmentGroup: null, userErrors: [{ field: ['input'], message: 'The idempotency key was used with other parameters.', code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH' }] });
        if (earlier) return earlier.payload;
        const payload = setQuantities(args.input as Args);
        replies.set(key, { input, payload });
        return payload;
      },
    },
  };
}
