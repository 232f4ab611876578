import { hash } from 'node:crypto';

/**
 * Change detection for source records and mapped payloads.
 *
 * Plain JSON.stringify, not a key-sorted form: one API and one flow version always serialise a record
 * in the same key order, and sorting keys tripled the cost on the hot path. Were an API to reorder
 * keys, the worst case is one needless re-evaluation (source hash) or one redundant update (output
 * hash); a real change is never missed. SHA-1 is ample for this and cheaper than SHA-256.
 */
export function contentHash(value: unknown): string {
  return textHash(JSON.stringify(value) ?? 'null');
}

/** The content hash of JSON already serialised. */
export function textHash(json: string): string {
  return hash('sha1', json, 'base64url');
}

/** JSON with keys sorted, for hashes that must not depend on how a file was written (flow versions). */
function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableJson(v))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(record[k])}`).join(',')}}`;
}

export function stableHash(value: unknown): string {
  return hash('sha1', stableJson(value), 'base64url');
}
