/**
 * Request checking against Intuit's data model (the XSD-derived schema in connectors/quickbooks/contract,
 * which the connector also declares its writable fields from): an element the schema does not define,
 * or a value of the wrong type, is refused as QuickBooks refuses it.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import schema from '../../connectors/quickbooks/contract/qbo-entities.schema.json' with { type: 'json' };

type SchemaNode = { $ref?: string; type?: string | string[]; properties?: Record<string, SchemaNode>; items?: SchemaNode; anyOf?: SchemaNode[] };
const defs = (schema as unknown as { $defs: Record<string, SchemaNode> }).$defs;

const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ allErrors: false, strict: false, validateFormats: false });
ajv.addSchema(schema as object, 'qbo');
const validators = new Map<string, ReturnType<typeof ajv.getSchema>>();

function resolve(node: SchemaNode | undefined): SchemaNode | undefined {
  let current = node;
  while (current?.$ref) current = defs[current.$ref.replace('#/$defs/', '')];
  return current;
}

/** The first element of `value` that `type` does not define, as a dotted path. */
export function unknownElement(type: string, value: unknown): string | undefined {
  const walk = (node: SchemaNode | undefined, v: unknown, path: string): string | undefined => {
    const resolved = resolve(node);
    if (!resolved || v === null || typeof v !== 'object') return undefined;
    if (Array.isArray(v)) {
      for (const item of v) {
        const found = walk(resolved.items, item, path);
        if (found) return found;
      }
      return undefined;
    }
    if (!resolved.properties) return undefined;
    for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
      const property = resolved.properties[key];
      if (!property) return path ? `${path}.${key}` : key;
      const found = walk(property, child, path ? `${path}.${key}` : key);
      if (found) return found;
    }
    return undefined;
  };
  return walk(defs[type], value, '');
}

/** A type error in `value` as Intuit's schema types it, or undefined. */
export function typeError(type: string, value: unknown): string | undefined {
  let validate = validators.get(type);
  if (!validate) {
    validate = ajv.getSchema(`qbo#/$defs/${type}`);
    validators.set(type, validate);
  }
  if (!validate || validate(value)) return undefined;
  const error = validate.errors?.[0];
  return error ? `${error.instancePath.slice(1).replace(/\//g, '.') || type}: ${error.message ?? 'is invalid'}` : undefined;
}

export const ENTITY_NAMES = ['Customer', 'Item', 'Invoice', 'Payment', 'SalesReceipt', 'CreditMemo', 'RefundReceipt', 'Account', 'TaxCode', 'Term', 'PaymentMethod'] as const;
export type EntityName = (typeof ENTITY_NAMES)[number];

/** `invoice` (the URL form) or `INVOICE` (a query) → `Invoice`. */
export function entityName(text: string): EntityName | undefined {
  return ENTITY_NAMES.find((n) => n.toLowerCase() === text.toLowerCase());
}
