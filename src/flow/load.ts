/**
 * Reading flow files: YAML with positions → the flow JSON Schema → checks that need the connectors
 * and the other flows → a compiled Flow. Every mistake in every file is collected before anything
 * is reported, so an ops person fixes them in one pass.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateDetailed } from 'node-cron';
import type { ConnectorRegistry } from '../connector/types.js';
import { ConfigError, type Diagnostic, sortDiagnostics } from '../errors.js';
import { stableHash } from '../engine/hash.js';
import { flowNameArguments, parseExpression, type Expression } from '../mapping/expression.js';
import { CompiledMapping } from '../mapping/mapping.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { closest } from '../text/closest.js';
import type { CompiledRule } from '../validation/rules.js';
import { schemaValidator } from '../validation/precompiled.js';
import { schemaDiagnostics } from '../yaml/schema-diagnostics.js';
import { type PathSegment, readYamlFile, type YamlFile } from '../yaml/yaml-file.js';
import { parseDuration } from './duration.js';
import { findCycles } from './graph.js';
import type { Flow, FlowDocument } from './types.js';

export const FLOW_SCHEMA_PATH = join(PACKAGE_ROOT, 'config/schemas/flow.schema.json');
const validateFlowSchema = await schemaValidator('flow');

export interface LoadResult {
  flows: Flow[];
  diagnostics: Diagnostic[];
}

export function listFlowFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new ConfigError(`flows directory ${dir} does not exist`);
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export interface LoadOptions {
  /** Alert names the config file defines; when given, a flow naming another is a mistake. */
  alerts?: ReadonlySet<string>;
}

export function loadFlowFiles(files: string[], registry: ConnectorRegistry, options: LoadOptions = {}): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const parsed: { yaml: YamlFile; doc: FlowDocument; flow?: Flow }[] = [];

  for (const file of files) {
    let yaml: YamlFile;
    try {
      yaml = readYamlFile(file);
    } catch (error) {
      diagnostics.push({ file, line: 1, column: 1, path: '', message: `cannot read: ${(error as Error).message}` });
      continue;
    }
    if (yaml.syntaxErrors.length) {
      diagnostics.push(...yaml.syntaxErrors);
      continue;
    }
    if (!yaml.value || typeof yaml.value !== 'object' || Array.isArray(yaml.value)) {
      diagnostics.push(yaml.diagnosticAt([], 'a flow file must be a YAML mapping (name, source, target, mapping, ...)'));
      continue;
    }
    const schemaProblems = schemaDiagnostics(yaml, validateFlowSchema, yaml.value);
    diagnostics.push(...schemaProblems);
    const doc = yaml.value as FlowDocument;
    const fileProblems = checkFlow(yaml, doc, registry, options, schemaProblems.length === 0);
    diagnostics.push(...fileProblems.diagnostics);
    parsed.push({ yaml, doc, flow: fileProblems.flow });
  }

  diagnostics.push(...checkAcrossFlows(parsed));
  // Flows that compiled are returned even when other files have mistakes; callers that run flows refuse any diagnostics.
  const flows = parsed.flatMap((p) => (p.flow ? [p.flow] : []));
  linkReverseFlows(flows);
  return { flows, diagnostics: sortDiagnostics(diagnostics) };
}

/** Checks that need the connectors; compiles the flow only when the file also passed its JSON Schema (`schemaValid`). */
function checkFlow(yaml: YamlFile, doc: FlowDocument, registry: ConnectorRegistry, options: LoadOptions, schemaValid: boolean): { flow?: Flow; diagnostics: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const at = (path: PathSegment[], message: string, where?: 'key') => problems.push(yaml.diagnosticAt(path, message, where));

  const alert = doc.on_failure?.alert;
  if (alert && options.alerts && !options.alerts.has(alert)) {
    at(['on_failure', 'alert'], `no alert named '${alert}' in the config file's alerts section (it has: ${[...options.alerts].join(', ') || 'none'})`);
  }

  checkEndpoint(doc.source, 'source', registry, at);
  checkEndpoint(doc.target, 'target', registry, at, doc.mapping);

  const expression = (path: PathSegment[], text: unknown): Expression | undefined => {
    if (typeof text !== 'string') return undefined;
    const parsed = parseExpression(text);
    if (parsed.ok) return parsed.expression;
    const where = parsed.position !== undefined ? ` (at character ${parsed.position})` : '';
    at(path, `${parsed.message}${where}`);
    return undefined;
  };

  const filter = expression(['source', 'filter'], doc.source?.filter);
  const reconcileAmount = expression(['reconcile', 'source_amount'], doc.reconcile?.source_amount);
  if (doc.reconcile && !doc.target?.match) at(['reconcile'], 'reconcile pairs records by target.match: give the flow a target.match');
  // Which field dates a document: the flow's choice, or what the entity declares (an invoice's date).
  const documentDate = (side: 'source' | 'target'): string | undefined => {
    const named = doc.reconcile?.[`${side}_date`];
    if (named || !doc.reconcile || !doc[side]) return named;
    const declared = registry.get(doc[side].connector)?.entities[doc[side].entity]?.documentDate;
    if (!declared) at(['reconcile'], `give ${side}_date: the field that dates ${doc[side].connector}/${doc[side].entity} records (the entity declares none)`);
    return declared;
  };
  const sourceDate = documentDate('source');
  const targetDate = documentDate('target');
  const matchValue = expression(['target', 'match', 'value'], doc.target?.match?.value);
  const mapped = doc.mapping && typeof doc.mapping === 'object' ? Object.keys(doc.mapping) : [];
  for (const [i, field] of (Array.isArray(doc.target?.last_writer_wins) ? doc.target.last_writer_wins : []).entries()) {
    if (!mapped.includes(field)) at(['target', 'last_writer_wins', i], `'${field}' is not a field this flow's mapping writes`);
  }
  const rules: CompiledRule[] = [];
  (Array.isArray(doc.rules) ? doc.rules : []).forEach((rule, i) => {
    const when = expression(['rules', i, 'when'], rule?.when);
    if (when) rules.push({ name: rule.name, when, action: rule.action, reason: rule.reason });
  });

  let mapping: CompiledMapping | undefined;
  if (doc.mapping && typeof doc.mapping === 'object' && !Array.isArray(doc.mapping)) {
    const compiled = CompiledMapping.compile(doc.mapping);
    for (const p of compiled.problems) at(p.path, p.message, p.at);
    mapping = compiled.mapping;
  }

  const schedule = doc.run?.schedule;
  if (typeof schedule === 'string') {
    const result = validateDetailed(schedule);
    if (!result.valid) at(['run', 'schedule'], `not a valid cron expression: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  const timezone = doc.run?.timezone;
  if (typeof timezone === 'string' && !isTimeZone(timezone)) at(['run', 'timezone'], `unknown time zone '${timezone}'`);

  const dependsOn = Array.isArray(doc.depends_on) ? doc.depends_on : [];
  for (const [path, text] of expressionsOf(doc)) {
    for (const { fn, flow } of flowNameArguments(text, CROSS_REFERENCE_FUNCTIONS)) {
      if (flow === undefined) at(path, `$${fn} needs the flow's name written as a quoted literal (${dependsOn.map((d) => `'${d}'`).join(', ') || "'flow-name'"}), so its dependency can be checked`);
      else if (!dependsOn.includes(flow)) at(path, `$${fn}('${flow}', …) needs '${flow}' in depends_on`);
    }
  }

  for (const path of DURATIONS) {
    const text = path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
    if (typeof text !== 'string') continue;
    try {
      parseDuration(text);
    } catch (error) {
      // The form is the schema's to report; a duration too long to be meant is this check's.
      if (/longer than/.test((error as Error).message)) at(path, (error as Error).message);
    }
  }

  const retryInitial = durationOr(doc.retry?.initial_delay, 1_000);
  const retryMax = durationOr(doc.retry?.max_delay, 60_000);
  if (retryInitial > retryMax) at(['retry', 'initial_delay'], 'must not be longer than retry.max_delay');

  if (problems.length || !mapping || !schemaValid) return { diagnostics: problems };
  const source = doc.source;
  const target = doc.target;
  return {
    diagnostics: problems,
    flow: {
      file: yaml.file,
      name: doc.name,
      description: doc.description ?? '',
      source: {
        connector: source.connector,
        connection: source.connection ?? source.connector,
        entity: source.entity,
        filter,
        overlapMs: durationOr(source.overlap, 5 * 60_000),
        params: source.params ?? {},
        reverseFlows: [],
      },
      target: {
        connector: target.connector,
        connection: target.connection ?? target.connector,
        entity: target.entity,
        match: target.match && matchValue ? { field: target.match.field, value: matchValue } : undefined,
        lastWriterWins: target.last_writer_wins ?? [],
      },
      mappingSpec: doc.mapping,
      mapping,
      rules,
      run: { schedule, timezone, webhook: doc.run?.webhook ?? [], manual: doc.run?.manual ?? true },
      retry: { attempts: doc.retry?.attempts ?? 5, initialDelayMs: retryInitial, maxDelayMs: retryMax },
      onFailure: { retryRuns: doc.on_failure?.retry_runs ?? 3, alert: doc.on_failure?.alert, alertErrorRate: doc.on_failure?.alert_error_rate ?? 0.05 },
      waiting: { maxAgeMs: durationOr(doc.waiting?.max_age, 7 * 86_400_000) },
      dependsOn,
      reconcile:
        doc.reconcile && reconcileAmount
          ? { sourceAmount: reconcileAmount, targetAmount: doc.reconcile.target_amount, sourceDate: sourceDate!, targetDate: targetDate! }
          : undefined,
      version: flowVersion(doc),
    },
  };
}

function checkEndpoint(
  endpoint: FlowDocument['source'] | undefined,
  side: 'source' | 'target',
  registry: ConnectorRegistry,
  at: (path: PathSegment[], message: string, where?: 'key') => void,
  mapping?: FlowDocument['mapping'],
): void {
  if (!endpoint || typeof endpoint.connector !== 'string') return;
  const connector = registry.get(endpoint.connector);
  if (!connector) {
    at([side, 'connector'], `unknown connector '${endpoint.connector}' (known: ${[...registry.keys()].join(', ') || 'none'})`);
    return;
  }
  if (typeof endpoint.entity !== 'string') return;
  const entity = connector.entities[endpoint.entity];
  if (!entity) {
    at([side, 'entity'], `connector '${connector.name}' has no entity '${endpoint.entity}' (it has: ${Object.keys(connector.entities).join(', ')})`);
    return;
  }
  if (side === 'source' && !entity.read) at([side, 'entity'], `'${connector.name}/${endpoint.entity}' cannot be read`);
  // A parameter the entity does not take would be ignored without a word: refused here instead.
  const params = side === 'source' ? Object.keys(endpoint.params ?? {}) : [];
  for (const key of params.filter((k) => !entity.params?.[k])) {
    const taken = Object.entries(entity.params ?? {}).map(([name, what]) => `${name} (${what})`);
    at([side, 'params', key], `'${connector.name}/${endpoint.entity}' takes no parameter '${key}' (${taken.length ? `it takes: ${taken.join(', ')}` : 'it takes none'})`, 'key');
  }
  if (side === 'target' && !entity.write) at([side, 'entity'], `'${connector.name}/${endpoint.entity}' cannot be written`);
  if (side === 'target' && entity.fields && mapping && typeof mapping === 'object') {
    for (const field of Object.keys(mapping).filter((f) => !entity.fields!.includes(f))) {
      const meant = closest(field, entity.fields);
      at(['mapping', field], `'${connector.name}/${endpoint.entity}' has no field '${field}'${meant ? ` (did you mean '${meant}'?)` : ''}`, 'key');
    }
  }
  const match = (endpoint as FlowDocument['target']).match;
  if (side === 'target' && match && typeof match.field === 'string' && entity.matchFields && !entity.matchFields.includes(match.field)) {
    at([side, 'match', 'field'], `'${connector.name}/${endpoint.entity}' cannot be matched on '${match.field}' (it can on: ${entity.matchFields.join(', ') || 'nothing'})`);
  }
}

function checkAcrossFlows(parsed: { yaml: YamlFile; doc: FlowDocument }[]): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const byName = new Map<string, { yaml: YamlFile; doc: FlowDocument }>();
  for (const p of parsed) {
    if (typeof p.doc.name !== 'string') continue;
    const earlier = byName.get(p.doc.name);
    if (earlier) problems.push(p.yaml.diagnosticAt(['name'], `flow name '${p.doc.name}' is already used by ${earlier.yaml.file}`));
    else byName.set(p.doc.name, p);
  }
  const edges = new Map<string, string[]>();
  for (const p of byName.values()) {
    const deps = Array.isArray(p.doc.depends_on) ? p.doc.depends_on.filter((d): d is string => typeof d === 'string') : [];
    deps.forEach((dep, i) => {
      if (!byName.has(dep)) problems.push(p.yaml.diagnosticAt(['depends_on', i], `unknown flow '${dep}'`));
    });
    edges.set(p.doc.name, deps.filter((d) => byName.has(d)));
  }
  for (const cycle of findCycles(edges)) {
    const first = byName.get(cycle[0]!)!;
    const index = first.doc.depends_on!.indexOf(cycle[1] ?? cycle[0]!);
    problems.push(first.yaml.diagnosticAt(['depends_on', index], `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}`));
  }
  return problems;
}

/** Every expression in a flow document with its path, for checks that look inside expressions. */
function expressionsOf(doc: FlowDocument): [PathSegment[], string][] {
  const out: [PathSegment[], string][] = [];
  const walk = (node: unknown, path: PathSegment[]) => {
    if (typeof node === 'string') out.push([path, node]);
    else if (node && typeof node === 'object' && !Array.isArray(node)) for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  walk(doc.mapping, ['mapping']);
  if (typeof doc.source?.filter === 'string') out.push([['source', 'filter'], doc.source.filter]);
  if (typeof doc.target?.match?.value === 'string') out.push([['target', 'match', 'value'], doc.target.match.value]);
  (Array.isArray(doc.rules) ? doc.rules : []).forEach((r, i) => typeof r?.when === 'string' && out.push([['rules', i, 'when'], r.when]));
  return out;
}

/** The functions that name another flow: its name must be a literal, to check the dependency and cycles. */
const CROSS_REFERENCE_FUNCTIONS = ['lookup', 'tryLookup', 'sourceOf'];
const DURATIONS: PathSegment[][] = [['source', 'overlap'], ['retry', 'initial_delay'], ['retry', 'max_delay'], ['waiting', 'max_age']];

function durationOr(text: string | undefined, fallback: number): number {
  if (typeof text !== 'string') return fallback;
  try {
    return parseDuration(text);
  } catch {
    return fallback; // the schema has already reported it
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function flowVersion(doc: FlowDocument): string {
  const shaping = { target: doc.target, mapping: doc.mapping, rules: doc.rules ?? [], filter: doc.source.filter ?? null };
  return stableHash(shaping);
}


/** Pairs each flow with the flows going the other way between the same two entities (a two-way sync). */
function linkReverseFlows(flows: Flow[]): void {
  const same = (a: Flow['source'] | Flow['target'], b: Flow['source'] | Flow['target']) => a.connection === b.connection && a.entity === b.entity;
  for (const flow of flows) flow.source.reverseFlows = flows.filter((other) => same(other.source, flow.target) && same(other.target, flow.source)).map((other) => other.name);
}

/** Flows in an order where every flow comes after the flows it depends on. */
export function dependencyOrder(flows: Flow[]): Flow[] {
  const byName = new Map(flows.map((f) => [f.name, f]));
  const done = new Set<string>();
  const out: Flow[] = [];
  const visit = (flow: Flow) => {
    if (done.has(flow.name)) return;
    done.add(flow.name);
    for (const dep of flow.dependsOn) {
      const d = byName.get(dep);
      if (d) visit(d);
    }
    out.push(flow);
  };
  flows.forEach(visit);
  return out;
}
