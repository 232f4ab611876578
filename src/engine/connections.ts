/**
 * Opened connector clients, one per connection, shared by every flow in the process: one client
 * means one rate budget and one token refresh per connection, however many flows use it.
 */
import type { ConnectionSettings, ConnectorContext, ConnectorDeclaration, ConnectorRegistry, EntityDeclaration } from '../connector/types.js';
import { ConfigError, type Diagnostic } from '../errors.js';

export interface OpenEntity {
  connector: ConnectorDeclaration;
  entity: EntityDeclaration<unknown>;
  client: unknown;
}

/** Whose saved tokens these are: a connection's name and the account its tokens belong to. */
export const secretOwner = (connection: string, account: string): string => `${connection} (${account})`;

export class Connections {
  private readonly clients = new Map<string, Promise<unknown>>();

  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly settings: ReadonlyMap<string, ConnectionSettings>,
    private readonly context: ConnectorContext = {},
    /** Connections whose `${ENV}` references did not resolve, with where they are written. */
    private readonly unresolved: ReadonlyMap<string, Diagnostic[]> = new Map(),
  ) {}

  async entity(connectorName: string, connectionName: string, entityName: string): Promise<OpenEntity> {
    const connector = this.registry.get(connectorName);
    if (!connector) throw new ConfigError(`unknown connector '${connectorName}'`);
    const entity = connector.entities[entityName];
    if (!entity) throw new ConfigError(`connector '${connectorName}' has no entity '${entityName}'`);
    return { connector, entity, client: await this.client(connector, connectionName) };
  }

  /** A connection's connector and opened client, for what is not about one entity (`ferry check`). */
  async open(connectionName: string): Promise<{ connector: ConnectorDeclaration; client: unknown }> {
    const settings = this.settings.get(connectionName);
    const connector = settings && this.registry.get(settings.connector);
    if (!connector) throw new ConfigError(`no usable connection '${connectionName}' (its connector is ${settings?.connector ?? 'not named'})`);
    return { connector, client: await this.client(connector, connectionName) };
  }

  /** Throws the ConfigError that using this connection would raise: checked before any run starts, so a mistake in the config is exit 2, not a failed run. */
  assertUsable(connectorName: string, connectionName: string): void {
    const missing = this.unresolved.get(connectionName);
    if (missing) throw new ConfigError(`connection '${connectionName}' needs environment variables that are not set`, missing);
    const settings = this.settings.get(connectionName);
    if (!settings) throw new ConfigError(`no connection '${connectionName}' in the config file (it has: ${[...this.settings.keys()].join(', ') || 'none'})`);
    if (settings.connector !== connectorName) throw new ConfigError(`connection '${connectionName}' is a ${settings.connector} connection, not ${connectorName}`);
  }

  private client(connector: ConnectorDeclaration, connectionName: string): Promise<unknown> {
    let client = this.clients.get(connectionName);
    if (!client) {
      this.assertUsable(connector.name, connectionName);
      const settings = this.settings.get(connectionName)!;
      client = Promise.resolve(connector.open(settings, this.contextFor(connector, settings)));
      this.clients.set(connectionName, client);
    }
    return client;
  }

  /**
   * The context a connection's client gets: its tokens saved under `name (account)`. A token saved
   * under the bare name (before tokens were kept by account) is still read until the first save.
   */
  private contextFor(connector: ConnectorDeclaration, settings: ConnectionSettings): ConnectorContext {
    const account = connector.account?.(settings);
    const { loadSecret, saveSecret } = this.context;
    // Processes share a budget per account: two connections (or two configs) on one company share its limits.
    const shared = { ...this.context, budgetKey: `${connector.name}:${account ?? settings.name}` };
    if (!account || !loadSecret || !saveSecret) return shared;
    const owner = (connection: string) => secretOwner(connection, account);
    return {
      ...shared,
      loadSecret: async (connection, key) => (await loadSecret(owner(connection), key)) ?? loadSecret(connection, key),
      saveSecret: (connection, key, value) => saveSecret(owner(connection), key, value),
    };
  }

  async close(): Promise<void> {
    for (const [name, client] of this.clients) {
      const settings = this.settings.get(name);
      const connector = settings && this.registry.get(settings.connector);
      await connector?.close?.(await client);
    }
    this.clients.clear();
  }
}
