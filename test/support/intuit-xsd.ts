/**
 * Reads Intuit's XSDs (../shared/api-specs/quickbooks/xsd) at test time and answers which element and
 * attribute names a type defines, bases included: the contract the QuickBooks emulator is checked against.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

export const XSD_DIR = resolve(import.meta.dirname, '../../../shared/api-specs/quickbooks/xsd');
export const xsdAvailable = existsSync(XSD_DIR);

interface ComplexType {
  base?: string;
  simpleContent: boolean;
  elements: Map<string, { type?: string; many: boolean }>;
  attributes: Set<string>;
}

type XmlNode = Record<string, unknown>;
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const local = (name: string | undefined) => name?.replace(/^.*:/, '');

export function loadIntuitTypes(): Map<string, ComplexType> {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });
  const types = new Map<string, ComplexType>();
  for (const file of readdirSync(XSD_DIR).filter((f) => f.endsWith('.xsd'))) {
    const doc = parser.parse(readFileSync(join(XSD_DIR, file), 'utf8')) as { 'xs:schema': XmlNode };
    for (const node of asArray(doc['xs:schema']['xs:complexType'] as XmlNode | XmlNode[])) {
      const type: ComplexType = { simpleContent: 'xs:simpleContent' in node, elements: new Map(), attributes: new Set() };
      const walk = (n: unknown): void => {
        if (Array.isArray(n)) return n.forEach(walk);
        if (!n || typeof n !== 'object') return;
        for (const [key, value] of Object.entries(n as XmlNode)) {
          if (key === 'xs:annotation') continue;
          if (key === 'xs:extension' || key === 'xs:restriction') for (const ext of asArray(value as XmlNode | XmlNode[])) type.base ??= local(ext['@base'] as string);
          if (key === 'xs:element') {
            for (const el of asArray(value as XmlNode | XmlNode[])) {
              const name = (el['@name'] ?? local(el['@ref'] as string)) as string | undefined;
              if (name) type.elements.set(name, { type: local(el['@type'] as string), many: el['@maxOccurs'] === 'unbounded' || Number(el['@maxOccurs']) > 1 });
            }
          }
          if (key === 'xs:attribute') for (const at of asArray(value as XmlNode | XmlNode[])) if (at['@name']) type.attributes.add(at['@name'] as string);
          walk(value);
        }
      };
      walk(node);
      types.set(node['@name'] as string, type);
    }
  }
  return types;
}

/** Every element or attribute name in `value` that Intuit's type does not define, as paths. */
export function namesOutsideXsd(types: Map<string, ComplexType>, typeName: string, value: unknown, path = typeName): string[] {
  const chain: ComplexType[] = [];
  for (let t = types.get(typeName); t; t = t.base ? types.get(t.base) : undefined) chain.push(t);
  if (!chain.length || value === null || typeof value !== 'object') return [];
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const element = chain.map((t) => t.elements.get(key)).find(Boolean);
    const isAttribute = chain.some((t) => t.attributes.has(key));
    const simpleValue = key === 'value' && chain.some((t) => t.simpleContent);
    if (!element && !isAttribute && !simpleValue) {
      problems.push(`${path}.${key}`);
      continue;
    }
    if (element?.type && child && typeof child === 'object') {
      for (const item of Array.isArray(child) ? child : [child]) problems.push(...namesOutsideXsd(types, element.type, item, `${path}.${key}`));
    }
  }
  return problems;
}
