/**
 * Flows that write the same target records. Two flows may share a target entity when each finds the
 * records it updates by a key (`target.match`): then each updates what the other made instead of
 * making a second one. A flow without `match` among them creates its own records and updates only
 * those it made, beside the other's, which a person reads as duplicates; `ferry validate` warns.
 */
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../errors.js';
import type { Flow } from './types.js';

export function overlappingWriters(flows: Flow[], report: (flow: Flow) => boolean): Diagnostic[] {
  const byTarget = new Map<string, Flow[]>();
  for (const flow of flows) {
    const key = `${flow.target.connection}/${flow.target.entity}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), flow]);
  }
  const warnings: Diagnostic[] = [];
  for (const [target, writers] of byTarget) {
    if (writers.length < 2) continue;
    for (const flow of writers.filter((f) => !f.target.match && report(f))) {
      const others = writers.filter((f) => f !== flow).map((f) => `${f.name} (${f.file})`);
      warnings.push({
        file: flow.file,
        ...where(flow.file, 'target'),
        path: 'target',
        message: `${target} is also written by ${others.join(', ')}; without target.match this flow creates records of its own beside theirs instead of updating the ones they made (add match: { field, value } on a key both share)`,
      });
    }
  }
  return warnings;
}

/** The line and column of a top-level key in a flow file (1, 1 when it cannot be found). */
function where(file: string, key: string): { line: number; column: number } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((l) => l.startsWith(`${key}:`));
  return { line: index + 1 || 1, column: 1 };
}
