/**
 * Versioned schema changes. Append new versions; never edit one that has shipped, because ledgers
 * in the field have already applied it.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'records, events, runs, cursors, cross-references, locks',
    sql: `
      CREATE TABLE records (
        flow              TEXT NOT NULL,
        source_id         TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('synced','pending','waiting','failed','dead','held','skipped')),
        target_id         TEXT,
        source_hash       TEXT,
        output_hash       TEXT,
        flow_version      TEXT,
        idempotency_key   TEXT,
        attempts          INTEGER NOT NULL DEFAULT 0,
        failed_runs       INTEGER NOT NULL DEFAULT 0,
        error_class       TEXT,
        error_status      INTEGER,
        error_code        TEXT,
        error_field       TEXT,
        error_message     TEXT,
        waiting_on        TEXT,
        reason            TEXT,
        source_updated_at TEXT,
        first_synced_at   TEXT,
        last_synced_at    TEXT,
        first_failed_at   TEXT,
        last_failed_at    TEXT,
        status_since      TEXT NOT NULL,
        last_run_id       INTEGER,
        source_json       TEXT,
        payload_json      TEXT,
        match_value       TEXT,
        PRIMARY KEY (flow, source_id)
      );
      -- Only rows that need attention are indexed by status: synced rows are the vast majority and
      -- indexing them would cost two index writes per record on every sync.
      CREATE INDEX records_attention ON records (flow, status, status_since) WHERE status NOT IN ('synced', 'pending');
      CREATE INDEX records_waiting ON records (waiting_on) WHERE waiting_on IS NOT NULL;

      CREATE TABLE events (
        id        INTEGER PRIMARY KEY,
        flow      TEXT NOT NULL,
        source_id TEXT NOT NULL,
        run_id    INTEGER,
        at        TEXT NOT NULL,
        kind      TEXT NOT NULL,
        detail    TEXT
      );
      CREATE INDEX events_record ON events (flow, source_id, id);

      CREATE TABLE runs (
        id        INTEGER PRIMARY KEY,
        flow      TEXT NOT NULL,
        trigger   TEXT NOT NULL,
        status    TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at  TEXT,
        read      INTEGER NOT NULL DEFAULT 0,
        created   INTEGER NOT NULL DEFAULT 0,
        updated   INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        waiting   INTEGER NOT NULL DEFAULT 0,
        held      INTEGER NOT NULL DEFAULT 0,
        skipped   INTEGER NOT NULL DEFAULT 0,
        failed    INTEGER NOT NULL DEFAULT 0,
        dead      INTEGER NOT NULL DEFAULT 0,
        message   TEXT
      );
      CREATE INDEX runs_flow ON runs (flow, started_at);

      CREATE TABLE flow_state (
        flow         TEXT PRIMARY KEY,
        cursor       TEXT,
        flow_version TEXT,
        updated_at   TEXT NOT NULL
      );

      CREATE TABLE cross_references (
        from_key   TEXT NOT NULL,
        to_key     TEXT NOT NULL,
        flow       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (from_key, to_key)
      ) WITHOUT ROWID;
      CREATE INDEX cross_references_to ON cross_references (to_key);

      CREATE TABLE locks (
        name       TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'webhook deliveries already accepted, for de-duplication',
    sql: `
      CREATE TABLE webhook_deliveries (
        connection  TEXT NOT NULL,
        delivery_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (connection, delivery_id)
      ) WITHOUT ROWID;
      CREATE INDEX webhook_deliveries_age ON webhook_deliveries (received_at);
    `,
  },
  {
    version: 3,
    description: 'approvals: the source version of a held record a person approved',
    sql: `ALTER TABLE records ADD COLUMN approved_hash TEXT;`,
  },
  {
    version: 4,
    description: 'records by target id, for $sourceOf (which source record became this target record)',
    sql: `CREATE INDEX records_target ON records (flow, target_id) WHERE target_id IS NOT NULL;`,
  },
  {
    version: 5,
    description: "the version a write left on its target, to tell Ferry's own changes from people's in two-way flows",
    sql: `ALTER TABLE cross_references ADD COLUMN to_version TEXT;`,
  },
  {
    version: 6,
    description: 'scheduled slots claimed by a daemon, so each slot runs once however many daemons share the ledger',
    sql: `
      CREATE TABLE schedule_slots (
        slot_key   TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        claimed_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX schedule_slots_age ON schedule_slots (claimed_at);
    `,
  },
  {
    version: 7,
    description: "write intents (a page's reserved writes in one row, not a pending row per record); what a record became read from its own row, not a cross-reference row per sync",
    sql: `
      CREATE TABLE write_intents (
        id         INTEGER PRIMARY KEY,
        flow       TEXT NOT NULL,
        run_id     INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        writes     TEXT NOT NULL
      );
      CREATE INDEX write_intents_flow ON write_intents (flow, run_id);

      -- The 'system/entity' halves of the keys a flow links (shopify/orders → quickbooks/invoices).
      -- A record row names its pair, so its 'became' link is its own row; rows written before this
      -- version keep theirs in cross_references.
      CREATE TABLE key_prefixes (
        id            INTEGER PRIMARY KEY,
        flow          TEXT NOT NULL,
        source_prefix TEXT NOT NULL,
        target_prefix TEXT NOT NULL,
        UNIQUE (flow, source_prefix, target_prefix)
      );
      CREATE INDEX key_prefixes_source ON key_prefixes (source_prefix);
      CREATE INDEX key_prefixes_target ON key_prefixes (target_prefix);
      ALTER TABLE records ADD COLUMN keys_id INTEGER REFERENCES key_prefixes (id);
      ALTER TABLE records ADD COLUMN target_version TEXT;
      -- A record synced at its first attempt (most of them) keeps that first event on its row, written
      -- once with it, never changed: {"kind","runId","detail"}, at first_synced_at. Later events are rows.
      ALTER TABLE records ADD COLUMN first_event TEXT;
    `,
  },
  {
    version: 8,
    description: 'fenced run locks: a lock keeps a fencing number that grows each time it changes hands, and a run the fence it started under',
    sql: `
      ALTER TABLE locks ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN lock_name TEXT;
      ALTER TABLE runs ADD COLUMN fence INTEGER;
    `,
  },
];
