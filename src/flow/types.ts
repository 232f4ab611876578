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

/** The flow file as written, after the JSON Schema has accepted it. */
export interface FlowDocument {
  name: string;
  description?: string;
  source: { connector: string; connection?: string; entity: string; filter?: string; overlap?: string; params?: Record<string, string | number | boolean> };
  target: { connector: string; connection?: string; entity: string; match?: { field: string; value: string }; last_writer_wins?: string[] };
  mapping: MappingSpec;
  rules?: { name: string; when: string; action: 'reject' | 'hold' | 'skip'; reason?: string }[];
  run?: { schedule?: string; timezone?: string; webhook?: string[]; manual?: boolean };
  retry?: { attempts?: number; initial_delay?: string; max_delay?: string };
  on_failure?: { action?: 'dead-letter'; retry_runs?: number; alert?: string; alert_error_rate?: number };
  waiting?: { max_age?: string };
  depends_on?: string[];
  reconcile?: { source_amount: string; target_amount: string; source_date?: string; target_date?: string };
}
