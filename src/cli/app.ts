/**
 * What every command needs, built lazily from the global options: the config, the connector
 * registry, the flows, the ledger, the logger and the open connections.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, parseConfig, usableConnections, type FerryConfig } from '../config/load.js';
import { SecretsFile } from '../config/secrets-file.js';
import type { ConnectionSettings, ConnectorRegistry } from '../connector/types.js';
import { Connections } from '../engine/connections.js';
import { ConfigError } from '../errors.js';
import { listFlowFiles, loadFlowFiles } from '../flow/load.js';
import type { Flow } from '../flow/types.js';
import type { Ledger } from '../ledger/ledger.js';
import { isPostgresUrl, ledgerLocation } from '../ledger/location.js';
import { openLedger } from '../ledger/open.js';
import { createLogger, type Logger } from '../log.js';
import type { AlertDeps } from '../report/alert.js';
import { DEFAULT_CONFIG } from './default-config.js';

export interface GlobalOptions {
  config?: string;
  ledger?: string;
  verbose?: boolean;
  quiet?: boolean;
  demo?: boolean;
}


export class App {
  private ledgerInstance?: Ledger;
  private connectionsInstance?: Connections;
  private loggerInstance?: Logger;
  readonly config: FerryConfig;
  /** Console log level when neither --verbose nor --quiet is given; the daemon raises it to show each run. */
  defaultConsoleLevel = 'warn';

  constructor(
    readonly registry: ConnectorRegistry,
    readonly options: GlobalOptions,
    readonly cwd = process.cwd(),
  ) {
    this.config = App.readConfig(options.config, cwd);
    if (options.ledger) this.config.ledgerPath = isPostgresUrl(options.ledger) ? options.ledger : resolve(cwd, options.ledger);
  }

  /** The named config file; or the default one if it exists; or built-in defaults. */
  private static readConfig(file: string | undefined, cwd: string): FerryConfig {
    if (file) return loadConfig(resolve(cwd, file), process.env, cwd);
    const fallback = resolve(cwd, DEFAULT_CONFIG);
    return existsSync(fallback) ? loadConfig(fallback, process.env, cwd) : parseConfig('(defaults)', '{}', process.env, cwd);
  }

  get logger(): Logger {
    this.loggerInstance ??= createLogger({
      consoleLevel: this.options.quiet ? 'error' : this.options.verbose ? 'debug' : this.defaultConsoleLevel,
      file: this.config.logFile,
      secrets: this.config.secrets,
    });
    return this.loggerInstance;
  }

  /** Opened on first use; a ledger that cannot be opened or created is a configuration error, named by its path. */
  get ledger(): Ledger {
    try {
      this.ledgerInstance ??= openLedger(this.config.ledgerPath);
    } catch (error) {
      throw new ConfigError(`cannot use the ledger ${ledgerLocation(this.config.ledgerPath)}: ${(error as Error).message}`);
    }
    return this.ledgerInstance;
  }

  /** Replaces the config file's connections (the demo points them at emulators it started). */
  useConnections(settings: Map<string, ConnectionSettings>): void {
    this.config.connections = settings;
    this.config.unresolved.clear();
  }

  /** Alert destinations for a finished run (see src/report/alert.ts). */
  get alertDeps(): AlertDeps {
    return { ledger: this.ledger, logger: this.logger, destinations: this.config.alerts };
  }

  get connections(): Connections {
    if (!this.connectionsInstance) {
      const secrets = new SecretsFile(this.config.secretsFile, this.config.legacySecretsFile);
      const context = {
        loadSecret: secrets.loadSecret.bind(secrets),
        saveSecret: secrets.saveSecret.bind(secrets),
        warn: (message: string) => this.logger.warn(message),
        // On a shared (PostgreSQL) ledger, every process syncing an account draws from one request budget.
        budget: isPostgresUrl(this.config.ledgerPath) ? this.ledger.sharedBudget?.() : undefined,
      };
      this.connectionsInstance = new Connections(this.registry, usableConnections(this.config), context, this.config.unresolved);
    }
    return this.connectionsInstance;
  }

  /** Every flow in the flows directory; throws a ConfigError listing every mistake. */
  flows(): Flow[] {
    const { flows, diagnostics } = loadFlowFiles(listFlowFiles(this.config.flowsDir), this.registry, { alerts: new Set(this.config.alerts.keys()) });
    if (diagnostics.length) throw new ConfigError('flow files have mistakes', diagnostics);
    return flows;
  }

  flow(name: string): Flow {
    const flows = this.flows();
    const found = flows.find((f) => f.name === name);
    if (!found) throw new ConfigError(`no flow named '${name}' (flows: ${flows.map((f) => f.name).join(', ') || 'none'})`);
    return found;
  }

  async close(): Promise<void> {
    await this.connectionsInstance?.close();
    await this.ledgerInstance?.close();
  }
}
