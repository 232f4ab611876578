/**
 * `npm run schemas`: writes the connections part of config/schemas/config.schema.json from the
 * connectors' declared options (see src/config/connection-schema.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionSchema } from '../src/config/connection-schema.js';
import type { JsonObject } from '../src/connector/types.js';
import { PACKAGE_ROOT } from '../src/package-root.js';
import { registry } from './registry.js';

export const CONFIG_SCHEMA_FILE = join(PACKAGE_ROOT, 'config/schemas/config.schema.json');

/** The config schema as it is, with its connections composed from the registry. */
export function composedConfigSchema(current: JsonObject): JsonObject {
  const properties = current.properties as Record<string, JsonObject>;
  return { ...current, properties: { ...properties, connections: { ...properties.connections, additionalProperties: connectionSchema(registry) } } };
}

/** JSON as the schemas are written by hand: a value on one line when it fits in 180 columns, else one entry a line. */
function formatJson(value: unknown, depth = 0, lead = 0): string {
  const inline = JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ').replace(/\[ /g, '[').replace(/ \]/g, ']').replace(/\{ (?=\})/g, '{');
  if (value === null || typeof value !== 'object' || depth * 2 + lead + inline.length <= 180) return inline;
  const pad = '  '.repeat(depth + 1);
  const entries = Array.isArray(value) ? value.map((v) => pad + formatJson(v, depth + 1)) : Object.entries(value).map(([k, v]) => `${pad}${JSON.stringify(k)}: ${formatJson(v, depth + 1, k.length + 4)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${entries.join(',\n')}\n${'  '.repeat(depth)}${close}`;
}

if (process.argv[1] === import.meta.filename) {
  const current = JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, 'utf8')) as JsonObject;
  writeFileSync(CONFIG_SCHEMA_FILE, `${formatJson(composedConfigSchema(current))}\n`);
  console.log(`written: ${CONFIG_SCHEMA_FILE}`);
}
