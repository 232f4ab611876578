/**
 * Checks a JSON body against a model `@hubspot/api-client` generated from HubSpot's OpenAPI specs:
 * wire names and nested types from the model's runtime `attributeTypeMap`, required fields from its
 * declaration file (a `'name'?:` property is optional).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}
type Model = { attributeTypeMap: Attribute[] };

export class HubSpotModels {
  private readonly dir: string;

  constructor(api = 'crm/objects') {
    this.dir = join(dirname(require.resolve('@hubspot/api-client')), `codegen/${api}/models`);
  }

  private model(name: string): Model | undefined {
    try {
      return (require(join(this.dir, `${name}.js`)) as Record<string, Model>)[name];
    } catch {
      return undefined;
    }
  }

  private required(name: string): Set<string> {
    const declaration = readFileSync(join(this.dir, `${name}.d.ts`), 'utf8');
    return new Set([...declaration.matchAll(/^ {4}'([^']+)':/gm)].map((m) => m[1]!));
  }

  check(type: string, value: unknown, path = type): string[] {
    if (value === null || value === undefined) return [];
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return Array.isArray(value) ? value.flatMap((v, i) => this.check(array[1]!, v, `${path}[${i}]`)) : [`${path}: declared an array`];
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return typeof value === 'object' ? Object.entries(value as object).flatMap(([k, v]) => this.check(map[1]!.replace(/ \| null$/, ''), v, `${path}.${k}`)) : [`${path}: declared a map`];
    if (type === 'string' || type === 'Date') return typeof value === 'string' ? [] : [`${path}: is ${typeof value}, declared ${type}`];
    if (type === 'number' || type === 'boolean') return typeof value === type ? [] : [`${path}: is ${typeof value}, declared ${type}`];
    if (type === 'any') return [];
    const model = this.model(type);
    if (!model) return typeof value === 'string' ? [] : [`${path}: unknown model ${type}`]; // enums are strings
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: declared ${type}`];
    const problems: string[] = [];
    const record = value as Record<string, unknown>;
    const required = this.required(type);
    for (const attribute of model.attributeTypeMap) if (required.has(attribute.name) && !(attribute.baseName in record)) problems.push(`${path}.${attribute.baseName}: required, missing`);
    for (const [key, child] of Object.entries(record)) {
      const attribute = model.attributeTypeMap.find((a) => a.baseName === key);
      if (!attribute) problems.push(`${path}.${key}: not in the model`);
      else problems.push(...this.check(attribute.type, child, `${path}.${key}`));
    }
    return problems;
  }
}
