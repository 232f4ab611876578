import type { JsonObject } from '../../src/connector/types.js';

/** The first of these paths (`order.name`) the record has a non-empty value at, joined with `suffix`. */
export function firstValue(record: JsonObject, paths: readonly string[], suffix = ''): string | undefined {
  for (const path of paths) {
    const value = path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as JsonObject)[key] : undefined), record);
    if (value !== undefined && value !== null && String(value).trim() !== '') return `${String(value)}${suffix}`;
  }
  return undefined;
}
