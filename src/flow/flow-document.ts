/** The flow file as written, once its JSON Schema has accepted it. Generated from config/schemas/flow.schema.json by `npm run schemas`: edit the schema, not this file. */

/**
 * A duration such as 500ms, 30s, 5m, 24h, 7d.
 */
export type Duration = string;

/**
 * One file describes one flow: where records come from, what they become, where they go and what happens when they cannot be delivered.
 */
export interface FerryProcessFlow {
  /**
   * Unique flow name, used on the command line and in the ledger. Lower case, digits and dashes.
   */
  name: string;
  /**
   * What this flow does, for the people who read it.
   */
  description?: string;
  /**
   * Where records are read from.
   */
  source: {
    /**
     * Connector name (shopify, hubspot, stripe, quickbooks).
     */
    connector: string;
    /**
     * Connection name in the config file; defaults to the connector name.
     */
    connection?: string;
    /**
     * Entity of the connector to read.
     */
    entity: string;
    /**
     * JSONata expression over the source record; records for which it is false are skipped.
     */
    filter?: string;
    /**
     * How far before the saved cursor each incremental read starts (clock skew, inclusive bookmarks).
     */
    overlap?: string;
    /**
     * Parameters passed to the connector's read (see its README), e.g. list filters the service applies itself, so fewer records travel.
     */
    params?: {
      [k: string]: string | number | boolean;
    };
  };
  /**
   * Where mapped records are written.
   */
  target: {
    /**
     * Connector name.
     */
    connector: string;
    /**
     * Connection name in the config file; defaults to the connector name.
     */
    connection?: string;
    /**
     * Entity of the connector to write.
     */
    entity: string;
    /**
     * How a source record finds an existing target record the ledger does not know yet.
     */
    match?: {
      /**
       * Target field to match on (one of the entity's match fields).
       */
      field: string;
      /**
       * JSONata expression over the source record giving the value to match.
       */
      value: string;
    };
    /**
     * Target fields both systems change (two-way flows). When the target record was changed by someone else after the source record, its newer values stay and these fields are not written.
     */
    last_writer_wins?: string[];
  };
  mapping: MappingObject;
  /**
   * Checks run on every mapped record, in order; the first that matches decides.
   */
  rules?: {
    /**
     * Short name shown in reports.
     */
    name: string;
    /**
     * JSONata expression over the source record ($target is the mapped record); true triggers the action.
     */
    when: string;
    /**
     * reject: dead-letter with the reason; hold: wait for approval; skip: leave the record out on purpose.
     */
    action: 'reject' | 'hold' | 'skip';
    /**
     * Text recorded with the record.
     */
    reason?: string;
  }[];
  /**
   * When the flow runs.
   */
  run?: {
    /**
     * Cron expression (5 or 6 fields) for the daemon.
     */
    schedule?: string;
    /**
     * IANA time zone of the schedule.
     */
    timezone?: string;
    /**
     * Webhook topics that trigger a sync of the referenced records.
     */
    webhook?: string[];
    /**
     * Can be run by hand (always true in practice; kept for readers).
     */
    manual?: boolean;
  };
  /**
   * How transient failures (429, 5xx, timeouts) are retried within a run.
   */
  retry?: {
    /**
     * Total attempts per record within one run.
     */
    attempts?: number;
    initial_delay?: Duration;
    max_delay?: Duration;
  };
  /**
   * What happens to a record that cannot be delivered.
   */
  on_failure?: {
    /**
     * Undeliverable records go to the dead-letter list with their reason.
     */
    action?: 'dead-letter';
    /**
     * How many later runs retry a record that failed transiently before it is dead-lettered.
     */
    retry_runs?: number;
    /**
     * Name of an alert destination in the config file's `alerts` section, posted to when a run ends with dead records or an error rate above alert_error_rate. The URL itself lives in the config (it is a secret), never in a flow.
     */
    alert?: string;
    /**
     * Error rate (0-1) above which the alert fires.
     */
    alert_error_rate?: number;
  };
  /**
   * Records whose parent has not synced yet.
   */
  waiting?: {
    /**
     * A duration such as 500ms, 30s, 5m, 24h, 7d.
     */
    max_age?: string;
  };
  /**
   * How `ferry reconcile` compares this flow's source with its target for a period: records are paired by target.match (the value on the source side, the field on the target side), and their amounts compared to the cent.
   */
  reconcile?: {
    /**
     * Expression over a source record: the amount its target document must show.
     */
    source_amount: string;
    /**
     * Field of the target record holding its amount (a dotted path).
     */
    target_amount: string;
    /**
     * Field of the source record that dates it for --from/--to (default: the date field the source entity declares).
     */
    source_date?: string;
    /**
     * Field of the target record that dates it for --from/--to (default: the date field the target entity declares).
     */
    target_date?: string;
  };
  /**
   * Flows whose cross-references this flow looks up with $lookup; they run first.
   */
  depends_on?: string[];
}
/**
 * Target field -> JSONata expression over the source record. Nest objects for nested target fields. Numbers and booleans are constants; a string is always an expression (quote text: "'Net 30'").
 */
export interface MappingObject {
  [k: string]: string | number | boolean | MappingObject1;
}
export interface MappingObject1 {
  [k: string]: string | number | boolean | MappingObject1;
}
