/**
 * The flow file's TypeScript type is derived from its JSON Schema (config/schemas/flow.schema.json), the
 * one source of truth for what a flow file may say: `npm run schemas` writes src/flow/flow-document.ts
 * from it, and a test fails when the two differ. Development only: nothing at run time imports this.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'json-schema-to-typescript';
import { PACKAGE_ROOT } from '../package-root.js';

export const FLOW_SCHEMA_FILE = join(PACKAGE_ROOT, 'config/schemas/flow.schema.json');
export const FLOW_DOCUMENT_FILE = join(PACKAGE_ROOT, 'src/flow/flow-document.ts');

/** The source of flow-document.ts for the schema as it is now. */
export async function flowDocumentSource(): Promise<string> {
  const schema = JSON.parse(readFileSync(FLOW_SCHEMA_FILE, 'utf8')) as Parameters<typeof compile>[0];
  const banner = '/** The flow file as written, once its JSON Schema has accepted it. Generated from config/schemas/flow.schema.json by `npm run schemas`: edit the schema, not this file. */';
  return compile(schema, 'FlowDocument', { bannerComment: banner, additionalProperties: false, style: { printWidth: 180, singleQuote: true } });
}

if (process.argv[1] === import.meta.filename) {
  writeFileSync(FLOW_DOCUMENT_FILE, await flowDocumentSource());
  console.log(`written: ${FLOW_DOCUMENT_FILE}`);
}
