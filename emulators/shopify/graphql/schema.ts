/**
 * Shopify's own GraphQL Admin schema (introspection of API 2026-07, see ../schema/SOURCE.md), built once
 * per process with graphql-js. The emulator executes against it; the connector's tests validate
 * Ferry's documents against it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildClientSchema, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { PACKAGE_ROOT } from '../../../src/package-root.js';

export const ADMIN_API_VERSION = '2026-07';
const FILE = join(PACKAGE_ROOT, `emulators/shopify/schema/admin_${ADMIN_API_VERSION}.introspection.json.gz`);
let schema: GraphQLSchema | undefined;

export function adminSchema(): GraphQLSchema {
  schema ??= buildClientSchema((JSON.parse(gunzipSync(readFileSync(FILE)).toString('utf8')) as { data: IntrospectionQuery }).data);
  return schema;
}
