import type { Expression } from '../mapping/expression.js';
import type { CompiledMapping, MappingSpec } from '../mapping/mapping.js';
import type { CompiledRule } from '../validation/rules.js';

export interface Endpoint {
  connector: string;
  /** Connection name in the config file. */
  connection: string;
  entity: string;
}

/** A flow file after it has been read, checked and compiled. */
export interface Flow {
  file: string;
  name: string;
  description: string;
  source: Endpoint & {
    filter?: Expression;
    overlapMs: number;
    params: Record<string, string | number | boolean>;
    /** Flows that write this flow's source from its target (the other half of a two-way sync): their writes read back are echoes, not changes. */
    reverseFlows: string[];
  };
  target: Endpoint & { match?: { field: string; value: Expression }; lastWriterWins: string[] };
  mappingSpec: MappingSpec;
  mapping: CompiledMapping;
  rules: CompiledRule[];
  run: { schedule?: string; timezone?: string; webhook: string[]; manual: boolean };
  retry: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  onFailure: { retryRuns: number; alert?: string; alertErrorRate: number };
  waiting: { maxAgeMs: number };
  dependsOn: string[];
  /** How `ferry reconcile` pairs and compares source and target records; absent: the flow is not reconciled. */
  reconcile?: { sourceAmount: Expression; targetAmount: string; sourceDate: string; targetDate: string };
  /** Hash of everything that shapes what is written; a change re-evaluates records already synced. */
  version: string;
}

/** The flow file as written, after the JSON Schema has accepted it: the type is derived from the schema (flow-document.ts). */
export type { FerryProcessFlow as FlowDocument } from './flow-document.js';
