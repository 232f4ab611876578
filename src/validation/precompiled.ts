/**
 * The flow and config schemas, compiled to JavaScript when Ferry is built (ajv's standalone code), so a
 * command does not spend most of a tenth of a second compiling them at every start. Run from the
 * TypeScript sources there is no such build, and they are compiled as the process starts.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import configSchema from '../../config/schemas/config.schema.json' with { type: 'json' };
import flowSchema from '../../config/schemas/flow.schema.json' with { type: 'json' };

const SCHEMAS = { flow: flowSchema, config: configSchema } as const;
type SchemaName = keyof typeof SCHEMAS;
const DIR = join(import.meta.dirname, 'precompiled');

/** The schema's validator: the build's when there is one (without loading ajv at all), else compiled now. */
export async function schemaValidator(name: SchemaName): Promise<ValidateFunction> {
  const file = join(DIR, `${name}.cjs`);
  if (existsSync(file)) return createRequire(import.meta.url)(file) as ValidateFunction;
  const { createAjv } = await import('./ajv.js');
  return createAjv().compile(SCHEMAS[name]);
}

/** The build's step (`npm run build`): writes each schema's validator beside the compiled code. */
export async function precompileSchemas(): Promise<void> {
  const { createAjv } = await import('./ajv.js');
  const { default: standalone } = await import('ajv/dist/standalone/index.js');
  mkdirSync(DIR, { recursive: true });
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    const ajv = createAjv({ code: { source: true } });
    writeFileSync(join(DIR, `${name}.cjs`), standalone.default(ajv, ajv.compile(schema)));
  }
}

if (process.argv[1] === import.meta.filename && process.argv[2] === '--build') await precompileSchemas();
