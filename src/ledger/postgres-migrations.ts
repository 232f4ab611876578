/**
 * The PostgreSQL ledger's versioned schema changes. Append new versions; never edit one that has
 * shipped. Version 1 is the SQLite ledger's schema 8 in one step, without what SQLite keeps for speed
 * alone (a first event on the record's row, key prefixes): here every event and every link is a row.
 */
import type { Migration } from './migrations.js';

export const POSTGRES_MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'records, events, runs, cursors, cross-references, fenced locks, webhook deliveries, schedule slots, write intents',
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
        last_run_id       BIGINT,
        source_json       TEXT,
        payload_json      TEXT,
        match_value       TEXT,
        approved_hash     TEXT,
        PRIMARY KEY (flow, source_id)
      );
      CREATE INDEX records_attention ON records (flow, status, status_since) WHERE status NOT IN ('synced', 'pending');
      CREATE INDEX records_waiting ON records (waiting_on) WHERE waiting_on IS NOT NULL;
      CREATE INDEX records_target ON records (flow, target_id) WHERE target_id IS NOT NULL;

      CREATE TABLE events (
        id        BIGSERIAL PRIMARY KEY,
        flow      TEXT NOT NULL,
        source_id TEXT NOT NULL,
        run_id    BIGINT,
        at        TEXT NOT NULL,
        kind      TEXT NOT NULL,
        detail    TEXT
      );
      CREATE INDEX events_record ON events (flow, source_id, id);

      CREATE TABLE runs (
        id         BIGSERIAL PRIMARY KEY,
        flow       TEXT NOT NULL,
        trigger    TEXT NOT NULL,
        status     TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at   TEXT,
        read       INTEGER NOT NULL DEFAULT 0,
        created    INTEGER NOT NULL DEFAULT 0,
        updated    INTEGER NOT NULL DEFAULT 0,
        unchanged  INTEGER NOT NULL DEFAULT 0,
        waiting    INTEGER NOT NULL DEFAULT 0,
        held       INTEGER NOT NULL DEFAULT 0,
        skipped    INTEGER NOT NULL DEFAULT 0,
        failed     INTEGER NOT NULL DEFAULT 0,
        dead       INTEGER NOT NULL DEFAULT 0,
        message    TEXT,
        lock_name  TEXT,
        fence      BIGINT
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
        to_version TEXT,
        PRIMARY KEY (from_key, to_key)
      );
      CREATE INDEX cross_references_to ON cross_references (to_key);

      CREATE TABLE locks (
        name       TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        fence      BIGINT NOT NULL DEFAULT 0
      );

      CREATE TABLE webhook_deliveries (
        connection  TEXT NOT NULL,
        delivery_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (connection, delivery_id)
      );
      CREATE INDEX webhook_deliveries_age ON webhook_deliveries (received_at);

      CREATE TABLE schedule_slots (
        slot_key   TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        claimed_at TEXT NOT NULL
      );
      CREATE INDEX schedule_slots_age ON schedule_slots (claimed_at);

      CREATE TABLE write_intents (
        id         BIGSERIAL PRIMARY KEY,
        flow       TEXT NOT NULL,
        run_id     BIGINT NOT NULL,
        created_at TEXT NOT NULL,
        writes     TEXT NOT NULL
      );
      CREATE INDEX write_intents_flow ON write_intents (flow, run_id);
    `,
  },
  {
    version: 2,
    description: "request budgets shared by every process syncing one account: each request's time, kept for one interval",
    sql: `
      CREATE TABLE request_budget (
        key TEXT   NOT NULL,
        at  BIGINT NOT NULL
      );
      CREATE INDEX request_budget_key ON request_budget (key, at);
    `,
  },
  {
    version: 3,
    description: 'a request in flight holds its place in the budget until it is answered, as the services count it',
    sql: `
      ALTER TABLE request_budget ADD COLUMN id BIGSERIAL PRIMARY KEY;
      ALTER TABLE request_budget ADD COLUMN in_flight BOOLEAN NOT NULL DEFAULT false;
    `,
  },
];
