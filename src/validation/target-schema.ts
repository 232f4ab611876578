/**
 * A target entity's JSON Schema, compiled once per entity. A mapped record that violates it never
 * reaches the target; the reasons name the field the way a person reads it: `Line[2].Amount: must be >= 0`.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { createAjv } from './ajv.js';
import type { JsonObject } from '../connector/types.js';
import { formatPath } from '../yaml/yaml-file.js';
import { pointerToPath } from '../yaml/schema-diagnostics.js';


const ajv = createAjv();
const compiled = new WeakMap<object, ValidateFunction>();

export function targetSchemaValidator(schema: JsonObject): (record: JsonObject) => string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  const check = validate;
  return (record) => (check(record) ? [] : (check.errors ?? []).map(describeError));
}

function describeError(error: ErrorObject): string {
  const path = pointerToPath(error.instancePath);
  if (error.keyword === 'required') path.push((error.params as { missingProperty: string }).missingProperty);
  if (error.keyword === 'additionalProperties') {
    path.push((error.params as { additionalProperty: string }).additionalProperty);
    return `${formatPath(path)}: is not a field of the target`;
  }
  let message = error.keyword === 'required' ? 'is required' : (error.message ?? 'is invalid');
  // A source's unset field (HubSpot sends `null` for every property without a value) says so.
  if (error.keyword === 'type' && error.data === null) message = `is null (the source has no value for it), but ${message}`;
  return path.length ? `${formatPath(path)}: ${message}` : message;
}
