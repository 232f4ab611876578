/**
 * `ferry validate --online`: source paths cannot all be known offline (a HubSpot portal's properties, a
 * store's metafields), so one page of each flow's source is read, and a path the mapping reads that no
 * record of it has (`fristname`) is warned about, with the path probably meant. A warning, not an
 * error: a field may be absent from every record of one page and present in others.
 */
import type { JsonObject } from '../connector/types.js';
import type { Connections } from '../engine/connections.js';
import type { Diagnostic } from '../errors.js';
import { closest } from '../text/closest.js';
import { readYamlFile } from '../yaml/yaml-file.js';
import type { Flow } from './types.js';

/** Every dotted path present in some record (into objects, and into the objects of arrays). */
function presentPaths(records: JsonObject[]): Set<string> {
  const paths = new Set<string>();
  const walk = (value: unknown, prefix: string): void => {
    if (Array.isArray(value)) return value.forEach((item) => walk(item, prefix));
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      paths.add(path);
      walk(child, path);
    }
  };
  records.forEach((record) => walk(record, ''));
  return paths;
}

export async function unseenSourcePaths(flows: Flow[], connections: Connections): Promise<Diagnostic[]> {
  const warnings: Diagnostic[] = [];
  for (const flow of flows) {
    const { entity, client } = await connections.entity(flow.source.connector, flow.source.connection, flow.source.entity);
    let records: JsonObject[] = [];
    for await (const page of entity.read!(client, { params: flow.source.params })) {
      records = page.records;
      break;
    }
    if (!records.length) continue;
    const present = presentPaths(records);
    const yaml = readYamlFile(flow.file);
    for (const path of flow.mapping.sourcePaths().filter((p) => !present.has(p))) {
      const meant = closest(path, present);
      // At the first mapping field whose expression names the path.
      const field = Object.entries(flow.mappingSpec).find(([, spec]) => JSON.stringify(spec).includes(path))?.[0];
      warnings.push(yaml.diagnosticAt(field ? ['mapping', field] : ['mapping'], `reads '${path}', which none of the ${records.length} ${flow.source.connector}/${flow.source.entity} records read has${meant ? ` (did you mean '${meant}'?)` : ''}`));
    }
  }
  return warnings;
}
