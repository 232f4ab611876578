/**
 * Turns ajv's errors into one readable diagnostic per mistake, placed at the offending key or value.
 * The JSON Schema stays the single truth; this only chooses words and positions.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { NUMBER_OR_REFERENCE } from '../config/connection-schema.js';
import type { Diagnostic } from '../errors.js';
import type { PathSegment, YamlFile } from './yaml-file.js';


export function schemaDiagnostics(file: YamlFile, validate: ValidateFunction, value: unknown): Diagnostic[] {
  if (validate(value)) return [];
  const errors = collapse(validate.errors ?? []);
  return errors.map((error) => {
    const path = pointerToPath(error.instancePath);
    if (error.keyword === 'additionalProperties') {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return file.diagnosticAt([...path, key], `unknown key '${key}'${suggestion(key, error)}`, 'key');
    }
    if (error.keyword === 'required') {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return file.diagnosticAt(path, `missing required key '${missing}'`, 'key');
    }
    return file.diagnosticAt(path, describe(error), 'value');
  });
}

/**
 * `anyOf` produces one error per branch plus a summary; keep only the summary for that spot. An
 * `if`/`then` adds "must match then schema" beside the `then` branch's own errors, which say it better.
 */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword !== 'if' && (e.keyword === 'anyOf' || !anyOfPaths.has(e.instancePath)));
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'anyOf':
      return 'must be an expression (text), a number, a boolean or a nested mapping';
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => `'${String(v)}'`).join(', ')}`;
    case 'pattern':
      if ((error.params as { pattern: string }).pattern === NUMBER_OR_REFERENCE) return 'must be a number, or a ${ENV} reference to one';
      return error.parentSchema && (error.parentSchema as { description?: string }).description
        ? `${error.message ?? 'is invalid'} (${(error.parentSchema as { description: string }).description})`
        : `${error.message ?? 'is invalid'}`;
    default:
      return error.message ?? 'is invalid';
  }
}

function suggestion(key: string, error: ErrorObject): string {
  const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
  const close = known.find((k) => editDistance(k, key) <= 2);
  return close ? ` (did you mean '${close}'?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
