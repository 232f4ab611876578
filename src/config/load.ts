/**
 * The config file: connections, paths, daemon settings. Checked against its JSON Schema with the same
 * `file:line:column` errors as flow files. `${ENV_VAR}` (or `${ENV_VAR:-default}`) references are
 * resolved from the environment; a missing one is reported when that connection is first used, so
 * one unset credential does not stop flows that do not need it.
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { ConnectionSettings } from '../connector/types.js';
import { ConfigError, type Diagnostic } from '../errors.js';
import { parseDuration } from '../flow/duration.js';
import { schemaValidator } from '../validation/precompiled.js';
import configSchema from '../../config/schemas/config.schema.json' with { type: 'json' };
import { isSecretOption } from './connection-schema.js';
import { isPostgresUrl } from '../ledger/location.js';
import { schemaDiagnostics } from '../yaml/schema-diagnostics.js';
import { parseYaml, readYamlFile, type YamlFile } from '../yaml/yaml-file.js';

const validateConfig = await schemaValidator('config');

export interface FerryConfig {
  file?: string;
  flowsDir: string;
  ledgerPath: string;
  logFile?: string;
  logLevel: string;
  /**
   * Where rotated tokens are kept: `secrets_file`, or by default a file beside the config named after
   * it (`ferry.yaml` → `ferry.secrets.json`), so two configs in one folder keep apart.
   */
  secretsFile: string;
  /** Where a Ferry before secrets were kept beside the config saved them: still read, never written. */
  legacySecretsFile?: string;
  connections: Map<string, ConnectionSettings>;
  /** Connections with a `${ENV}` reference that is not set: the diagnostics to raise when one is used. */
  unresolved: Map<string, Diagnostic[]>;
  /** Every resolved credential value, for log redaction. */
  secrets: Set<string>;
  /** Alert destinations by name: where a flow's `on_failure.alert` posts. */
  alerts: Map<string, string>;
  daemon: { webhookPort: number; webhookHost: string; gracePeriod: string; maxBodyBytes: number; publicUrl?: string; pageToken?: string };
  /** How long a run's lock lasts without renewal (`lock_lease`). */
  lockLeaseMs: number;
}

interface ConfigDocument {
  flows?: string;
  ledger?: string;
  log?: { file?: string; level?: string };
  secrets_file?: string;
  lock_lease?: string;
  connections?: Record<string, Record<string, string | number | boolean>>;
  alerts?: Record<string, { url: string }>;
  daemon?: { webhook_port?: number; webhook_host?: string; grace_period?: string; max_body_bytes?: number; public_url?: string; page_token?: string };
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
/** Option keys whose values are not secret, so they are not added to the redaction list. */

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): FerryConfig {
  let yaml: YamlFile;
  try {
    yaml = readYamlFile(file);
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`, [
      { file, line: 1, column: 1, path: '', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` },
    ]);
  }
  return configFromYaml(yaml, env, cwd);
}

export function parseConfig(file: string, text: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): FerryConfig {
  return configFromYaml(parseYaml(file, text), env, cwd);
}

function configFromYaml(yaml: YamlFile, env: NodeJS.ProcessEnv, cwd: string): FerryConfig {
  if (yaml.syntaxErrors.length) throw new ConfigError('config file does not parse', yaml.syntaxErrors);
  const value = yaml.value ?? {};
  const problems = schemaDiagnostics(yaml, validateConfig, value);
  if (problems.length) throw new ConfigError('config file is invalid', problems);
  const doc = value as ConfigDocument;

  const connections = new Map<string, ConnectionSettings>();
  const unresolved = new Map<string, Diagnostic[]>();
  const secrets = new Set<string>();
  /** Resolves `${ENV}` references; an unset variable becomes a diagnostic at the value's position. */
  const resolveValue = (path: string[], rawValue: string, secret: boolean, missing: Diagnostic[]): string =>
    rawValue.replace(ENV_REFERENCE, (_, variable: string, fallback: string | undefined) => {
      const found = env[variable] ?? fallback;
      if (found === undefined) {
        missing.push(yaml.diagnosticAt(path, `environment variable ${variable} is not set`));
        return '';
      }
      if (secret) secrets.add(found);
      return found;
    });

  for (const [name, raw] of Object.entries(doc.connections ?? {})) {
    const options: Record<string, unknown> = {};
    const missing: Diagnostic[] = [];
    for (const [key, rawValue] of Object.entries(raw)) {
      options[key] = typeof rawValue === 'string' ? resolveValue(['connections', name, key], rawValue, isSecretOption(configSchema, String(raw.connector), key), missing) : rawValue;
    }
    const { connector, base_url: baseUrl, ...rest } = options;
    connections.set(name, { name, connector: String(connector), baseUrl: baseUrl ? String(baseUrl) : undefined, options: rest });
    if (missing.length) unresolved.set(name, missing);
  }

  // Alert URLs (a Slack or Teams incoming webhook) carry their own token, so they are secrets too.
  const alerts = new Map<string, string>();
  const unsetReferences: Diagnostic[] = [];
  for (const [name, alert] of Object.entries(doc.alerts ?? {})) alerts.set(name, resolveValue(['alerts', name, 'url'], alert.url, true, unsetReferences));
  // A PostgreSQL URL carries its password: written as a ${ENV} reference, masked like any credential.
  const ledgerAt = doc.ledger === undefined ? undefined : resolveValue(['ledger'], doc.ledger, isPostgresUrl(doc.ledger) || /^\$\{/.test(doc.ledger), unsetReferences);
  const pageToken = doc.daemon?.page_token !== undefined ? resolveValue(['daemon', 'page_token'], doc.daemon.page_token, true, unsetReferences) : undefined;
  if (unsetReferences.length) throw new ConfigError('config file refers to unset environment variables', unsetReferences);

  return {
    file: yaml.file,
    flowsDir: resolve(cwd, doc.flows ?? 'flows'),
    ledgerPath: ledgerAt ? (isPostgresUrl(ledgerAt) ? ledgerAt : resolve(cwd, ledgerAt)) : resolve(cwd, '.ferry/ledger.db'),
    logFile: resolve(cwd, doc.log?.file ?? '.ferry/ferry.log'),
    logLevel: doc.log?.level ?? 'info',
    ...(doc.secrets_file || !yaml.file
      ? { secretsFile: resolve(cwd, doc.secrets_file ?? '.ferry/secrets.json') }
      : { secretsFile: join(dirname(resolve(cwd, yaml.file)), `${basename(yaml.file, extname(yaml.file))}.secrets.json`), legacySecretsFile: resolve(cwd, '.ferry/secrets.json') }),
    connections,
    unresolved,
    secrets,
    alerts,
    lockLeaseMs: parseDuration(doc.lock_lease ?? '60s'),
    daemon: {
      webhookPort: doc.daemon?.webhook_port ?? 7400,
      webhookHost: doc.daemon?.webhook_host ?? '127.0.0.1',
      gracePeriod: doc.daemon?.grace_period ?? '30s',
      maxBodyBytes: doc.daemon?.max_body_bytes ?? 1_048_576,
      publicUrl: doc.daemon?.public_url,
      pageToken: pageToken || undefined,
    },
  };
}

/** The settings of connections whose every `${ENV}` reference resolved; using any other raises its diagnostics. */
export function usableConnections(config: FerryConfig): Map<string, ConnectionSettings> {
  return new Map([...config.connections].filter(([name]) => !config.unresolved.has(name)));
}
