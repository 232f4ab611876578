/**
 * YAML parsing that keeps source positions, so every later check can point at `file:line:column`.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Diagnostic } from '../errors.js';

export type PathSegment = string | number;

export interface YamlFile {
  file: string;
  value: unknown;
  /** The first syntax error in the file, if any; when there is one, `value` is unreliable. */
  syntaxErrors: Diagnostic[];
  /** Diagnostic pointing at the node at `path` (its key when `at` is 'key'), or the nearest ancestor that exists. */
  diagnosticAt(path: PathSegment[], message: string, at?: 'key' | 'value'): Diagnostic;
}

export function readYamlFile(file: string): YamlFile {
  return parseYaml(file, readFileSync(file, 'utf8'));
}

export function parseYaml(file: string, text: string): YamlFile {
  const lineCounter = new LineCounter();
  // The parser's own duplicate-key check compares every key with every earlier one (a 20,000-field
  // mapping took seconds); keys are checked here instead, with a set per map.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // After the first syntax error the parser is lost and the rest are echoes of it: report the first.
  const errors = doc.errors.length ? doc.errors.map((error) => ({ at: error.pos[0], message: error.message.split('\n')[0] ?? error.message })) : duplicateKeys(doc);
  const syntaxErrors: Diagnostic[] = errors.slice(0, 1).map((error) => ({ file, ...position(error.at), path: '', message: error.message }));

  return {
    file,
    value: syntaxErrors.length ? undefined : doc.toJS(),
    syntaxErrors,
    diagnosticAt(path, message, at = 'value') {
      const offset = locate(doc, path, at);
      return { file, ...position(offset), path: formatPath(path), message };
    },
  };
}

/** Keys written twice in one map, in document order. */
function duplicateKeys(doc: Document): { at: number; message: string }[] {
  const found: { at: number; message: string }[] = [];
  visit(doc, {
    Map(_, map: YAMLMap) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) found.push({ at: pair.key.range?.[0] ?? 0, message: `Map keys must be unique: '${key}' is written twice` });
        seen.add(key);
      }
    },
  });
  return found;
}

/** Walks the document along `path`, stopping at the deepest node that exists. */
function locate(doc: Document, path: PathSegment[], at: 'key' | 'value'): number {
  let node: Node | null | undefined = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p: Pair) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return offset;
      const keyNode = pair.key as Node;
      if (last && at === 'key') return keyNode.range?.[0] ?? offset;
      node = pair.value as Node | null;
      offset = node?.range?.[0] ?? keyNode.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment] as Node | undefined;
      if (!node) return offset;
      offset = node.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

/** `['mapping', 'Line', 2, 'Amount']` → `mapping.Line[2].Amount` */
export function formatPath(path: PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}
