/**
 * The shape every connector declares. Reading a connector's declaration tells you all it can do;
 * the engine never sees an SDK, and a connector never sees a flow.
 */
import type { FerryError } from '../errors.js';

export type JsonObject = { [key: string]: unknown };

/** One connection from the config file: where the service is and how to authenticate. */
export interface ConnectionSettings {
  name: string;
  connector: string;
  /** Base URL of the API: the real service in production, an emulator locally. */
  baseUrl?: string;
  /** Credentials and other settings, with `${ENV}` references already resolved. */
  options: Record<string, unknown>;
}

export interface ReadRequest {
  /** Only records updated at or after this time; undefined means a full read. */
  since?: Date;
  /** The flow's `source.params`: connector-specific read options (each connector's README lists its own). */
  params?: Record<string, string | number | boolean>;
  signal?: AbortSignal;
  /**
   * The flow's retry policy (backoff, Retry-After) for one request. A read makes each of its requests
   * through it (`retried(request, task)`), so one busy answer costs one request again, not the page or the read.
   */
  retry?<T>(task: () => Promise<T>): Promise<T>;
}

/**
 * What a write may use besides its items: the flow's retry policy for one request. A write made of
 * several calls (a Stripe invoice's draft, lines, finalization) retries each call that is safe to repeat
 * (a read, or one carrying an idempotency key) on its own, so one busy answer costs one call again, not
 * the whole write. A call that is not safe to repeat (a create the service cannot de-duplicate) is left
 * to the writer, which looks before it creates again.
 */
export interface WriteRequest extends Pick<ReadRequest, 'retry'> {
  /**
   * Throws when the run may not write any more (its lock's lease lapsed, or passed to another process).
   * A write that is several requests (look up, then write) calls it right before each request that
   * changes something, since a pause between them (a stopped process) can outlast the lease.
   */
  beforeWrite?(): void;
}

/** Runs one request of a read or a write under the flow's retry policy, when the runner gave one. */
export function retried<T>(request: WriteRequest | undefined, task: () => Promise<T>): Promise<T> {
  return request?.retry ? request.retry(task) : task();
}

export interface ReadPage {
  records: JsonObject[];
  /** Set when the service could not honour `since` and read everything instead. */
  fullReadReason?: string;
  /** On the first page, when the service says: how many records the whole read will yield (HubSpot's search total). */
  total?: number;
}

export interface WriteItem {
  /** Source record id, for messages and events. */
  sourceId: string;
  /** Stable for the same flow, source record, output and recorded attempts: lets the target de-duplicate a resent write. */
  idempotencyKey: string;
  /** The target id the ledger already knows; absent means "find by match, else create". */
  targetId?: string;
  /** How to find an existing target record the ledger does not know about. */
  match?: { field: string; value: unknown };
  /** An earlier attempt may have reached the target: look before creating. */
  retry?: boolean;
  payload: JsonObject;
}

export type WriteResult =
  /** `version`: the record's `version` after this write, so Ferry can tell its own change when a flow reads it back. */
  | { ok: true; targetId: string; action: 'created' | 'updated'; version?: string }
  | { ok: false; error: FerryError };

export interface EntityDeclaration<Client> {
  description: string;
  /** The `source.params` the entity takes, each with what it does; a flow naming any other is refused. */
  params?: Record<string, string>;
  /**
   * Every top-level field a written payload may carry; a mapping naming another is refused when the flow
   * is loaded. Absent: the target decides (HubSpot's are the portal's properties, which `ferry check` reads).
   */
  fields?: readonly string[];
  /** The record's id in this system. */
  key(record: JsonObject): string;
  /** When the record last changed, for incremental reads; absent when the service has no such field. */
  updatedAt?(record: JsonObject): string | undefined;
  /**
   * Changes whenever the record changes (a revision number, a modification time). A flow
   * that reads back what the reverse flow wrote compares it with the version that write returned.
   */
  version?(record: JsonObject): string | undefined;
  /** The field a document is dated by (an invoice's date), which `ferry reconcile` compares periods by unless the flow names another. */
  documentDate?: string;
  /**
   * A customer's credit as this system keeps it, for `$creditExceeded`: the limit (none when absent or 0)
   * and the open balance, from the record as `get` returns it.
   */
  creditOf?(record: JsonObject): { limit?: number | string; balance?: number | string };
  /** True when `read` yields pages in ascending updated-time order, so a cursor can be saved after each page. */
  orderedByUpdatedAt?: boolean;
  /** JSON Schema a payload must satisfy before it is written to this entity. */
  schema?: JsonObject;
  /** Fields a flow may match on to find an existing record. */
  matchFields?: string[];
  /** How many items one `write` call takes (the service's batch size). */
  batchSize?: number;
  /** How many `write` calls may be in flight at once for this entity. */
  concurrency?: number;

  read?(client: Client, request: ReadRequest): AsyncIterable<ReadPage>;
  /** Fetch records by id (resync of one record, webhooks). */
  get?(client: Client, ids: string[]): Promise<JsonObject[]>;
  /** One result per item, in order: one bad item never fails its neighbours. */
  write?(client: Client, items: WriteItem[], request?: WriteRequest): Promise<WriteResult[]>;
  /** Did an earlier write of this item reach the target? Used to settle `pending` records after a crash. */
  find?(client: Client, item: WriteItem): Promise<string | undefined>;
  /**
   * A payment entity: the payload that applies this payment to the document a person names by the number
   * they know (`ferry apply … --to 1047`), for `amount` or as much as both allow. Refuses a document of
   * another customer, or an amount past the document's balance or the payment's total.
   */
  applyTo?(client: Client, payment: JsonObject, document: string, amount?: string): Promise<AppliedPayment>;
}

export interface AppliedPayment {
  payload: JsonObject;
  /** The document applied to: its entity and id in the target, how a person names it, its balance before, and the amount applied (decimal strings). */
  document: { entity: string; id: string; label: string; balance: string; applied: string };
}

/** A webhook delivery as received: the raw body, exactly as sent, is what signatures cover. */
export interface WebhookRequest {
  method: string;
  /** The full URL the vendor posted to (HubSpot signs it). */
  url: string;
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
}

export type WebhookVerdict = { ok: true } | { ok: false; status: 400 | 401; reason: string };

/** What a webhook says changed: the entity and the ids to sync, and the vendor's delivery id for de-duplication. */
export interface WebhookEvent {
  topic: string;
  entity: string;
  ids: string[];
  deliveryId?: string;
}

export interface WebhookDeclaration {
  /**
   * Signature (constant-time comparison) and replay window; never logs the secret. May be async, so a
   * vendor SDK that checks signatures is loaded when the first webhook arrives, not by every command.
   */
  verify(request: WebhookRequest, secret: string, now: Date): WebhookVerdict | Promise<WebhookVerdict>;
  parse(request: WebhookRequest): WebhookEvent[];
}

export interface ConnectorContext {
  /** Where a connector persists rotated OAuth tokens; never logged. */
  saveSecret?(connection: string, key: string, value: string): Promise<void>;
  loadSecret?(connection: string, key: string): Promise<string | undefined>;
  /** Warnings a person should act on (a refresh token about to expire). */
  warn?(message: string): void;
  /**
   * A request budget shared by every process syncing this account (daemons on several machines on one
   * PostgreSQL ledger), under `budgetKey`, the connection's account. Absent on one machine, where each
   * process's own limiter is the budget.
   */
  budget?: SharedBudget;
  budgetKey?: string;
}

/** A request budget several processes draw from: at most `limit` requests in any `intervalMs` under `key`. */
export interface SharedBudget {
  /**
   * Resolves when this process may send one more request under `key`; `onWait` is told each wait first.
   * The request holds its place until its answer (or until it has surely reached the service), and the
   * returned `answered` starts its interval then.
   */
  take(key: string, limit: number, intervalMs: number, onWait?: (ms: number) => void): Promise<{ answered(): Promise<void> }>;
}

/** The flows that use a connection, for `ferry check`: each entity they read or write, and the flow file's text. */
export interface CheckRequest {
  /** `fields`: for a write, the top-level fields its mapping sends. */
  uses: { flow: string; entity: string; direction: 'read' | 'write'; text: string; fields?: string[] }[];
  fix?: boolean;
}

export interface CheckReport {
  /** Which account this is: `shop Ferry Demo (ferry-demo.myshopify.com)`. */
  account: string;
  /** What was seen that is not a problem: the plan's limits, a setting the flows cope with. */
  notes: string[];
  /** Each with what to do about it. */
  problems: { problem: string; fix: string }[];
}

export interface ConnectSession {
  /** Where the vendor sends the browser back: a listener Ferry runs on this machine (loopback). */
  redirectUri: string;
  /** Shows the person the URL to open. */
  open(url: string): void;
  /** The URL the browser came back to. */
  callback(): Promise<URL>;
}

export interface ConnectResult {
  /** Tokens for the secrets store (`refresh_token`). */
  secrets: Record<string, string>;
  /** Connection options the account has, which the config must name (`realm_id`). */
  options: Record<string, string>;
  /** Which account this is, for the person: `QuickBooks company (realm 9130…)`. */
  account: string;
}

/** A connection option a connector reads from the config file. */
export interface OptionSpec {
  type: 'string' | 'number';
  description: string;
  /** A credential: masked wherever it might appear (logs, errors, reports), and written as `${ENV}` in the config. */
  secret?: boolean;
}

export interface ConnectorDeclaration<Client = unknown> {
  name: string;
  description: string;
  /**
   * Every option a connection to this connector may carry (besides `connector`, `base_url` and the
   * options every connection takes). The config file's JSON Schema is composed from these, so an editor
   * offers them and an unknown one is refused with its line and column.
   */
  options?: Record<string, OptionSpec>;
  open(connection: ConnectionSettings, context: ConnectorContext): Client | Promise<Client>;
  /**
   * The account (company, portal, shop) a connection's saved tokens belong to. Tokens are saved under
   * the connection's name and this, so two configs that name their connections alike never read or
   * overwrite each other's rotated token.
   */
  account?(connection: ConnectionSettings): string | undefined;
  /**
   * The id of a record the service keeps by name (a QuickBooks Term or Account), for `$ref(type, name)`;
   * undefined when there is none by that name.
   */
  reference?(client: Client, type: string, name: string): Promise<string | undefined>;
  /**
   * `ferry check`: which account the connection reaches, and what in it stops the flows that use it
   * (a scope not granted, a setting off, a property missing). Reads only, unless `fix` asks it to
   * create what is missing where that is safe.
   */
  check?(client: Client, request: CheckRequest): Promise<CheckReport>;
  /**
   * `ferry connect`: the vendor's authorisation, completed with a person at a browser. Sends them to
   * `session.open(url)`, waits for the answer at the redirect URI, and returns what it yields: the
   * tokens to keep in the secrets store, and facts about the account the config should name.
   */
  connect?(connection: ConnectionSettings, session: ConnectSession): Promise<ConnectResult>;
  close?(client: Client): Promise<void>;
  /** Requests the client has sent, for benchmarks (requests per record). */
  requestCount?(client: Client): number;
  /** How a person knows a record of `entity` as read (an order's name, an invoice's number), for reports. */
  label?(entity: string, record: JsonObject): string | undefined;
  /** The record's page in the vendor's own admin, for reports' links; `record`, when known, for pages that need more than the id. */
  adminUrl?(settings: ConnectionSettings, entity: string, id: string, record?: JsonObject): string | undefined;
  entities: Record<string, EntityDeclaration<Client>>;
  webhook?: WebhookDeclaration;
}

/** The connectors the engine knows, by name. */
export type ConnectorRegistry = ReadonlyMap<string, ConnectorDeclaration>;

export function createRegistry(connectors: ConnectorDeclaration<unknown>[]): ConnectorRegistry {
  return new Map(connectors.map((c) => [c.name, c]));
}
