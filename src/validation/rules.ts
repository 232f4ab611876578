/**
 * A flow's business rules: checked in order on each mapped record; the first that matches decides
 * whether the record is rejected, held for approval or skipped on purpose.
 */
import type { JsonObject } from '../connector/types.js';
import { FerryError, PermanentError } from '../errors.js';
import type { Bindings, Expression } from '../mapping/expression.js';
import { type Verdict, OK } from './verdict.js';

export interface CompiledRule {
  name: string;
  when: Expression;
  action: 'reject' | 'hold' | 'skip';
  reason?: string;
}

/** `waiveHolds`: a person approved this record, so hold rules no longer apply to it (reject and skip rules still do). */
export async function applyRules(rules: CompiledRule[], source: JsonObject, target: JsonObject, bindings: Bindings, waiveHolds = false): Promise<Verdict> {
  for (const rule of rules) {
    if (waiveHolds && rule.action === 'hold') continue;
    let matched: unknown;
    try {
      matched = await rule.when.evaluate(source, { ...bindings, target });
    } catch (error) {
      // A service the rule asked (a credit check) being busy or down is not the record's fault: keep its class.
      if (error instanceof FerryError && error.kind !== 'permanent') throw error;
      throw new PermanentError(`rule '${rule.name}': ${(error as Error).message}`, { code: 'rule' });
    }
    if (matched !== true) continue;
    const reason = rule.reason ?? `rule '${rule.name}' matched`;
    if (rule.action === 'reject') return { kind: 'reject', reasons: [`${rule.name}: ${reason}`] };
    return { kind: rule.action, rule: rule.name, reason };
  }
  return OK;
}
