/**
 * Where the ledger conformance suite keeps its ledgers: a new SQLite file, or a new database in the
 * test PostgreSQL server (see postgres-cluster.ts). `open` opens another ledger on the same store, as a
 * second process (another daemon, a restart after a crash) would.
 */
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type pg from 'pg';
import { inject } from 'vitest';
import type { Ledger } from '../../src/ledger/ledger.js';
import { PostgresLedger } from '../../src/ledger/postgres-ledger.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { tempDir } from './harness.js';

export interface LedgerStore {
  /** The SQLite file's path, or the PostgreSQL database's URL: what `--ledger` takes. */
  location: string;
  open(options?: { now?: () => Date }): Ledger;
  /** Runs SQL on the store directly (tests that look under the interface). */
  sql(text: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface LedgerKind {
  name: 'SQLite' | 'PostgreSQL';
  /** Why this kind cannot run here, or undefined. */
  unavailable?: string;
  store(): Promise<LedgerStore>;
}

const Client = () => (createRequire(import.meta.url)('pg') as typeof pg).Client;
let databases = 0;

function sqliteKind(): LedgerKind {
  return {
    name: 'SQLite',
    async store() {
      const path = join(tempDir(), 'ledger.db');
      const opened: Ledger[] = [];
      return {
        location: path,
        open: (options) => {
          const ledger = new SqliteLedger(path, options);
          opened.push(ledger);
          return ledger;
        },
        async sql(text) {
          const Database = (await import('better-sqlite3')).default;
          const db = new Database(path, { timeout: 5_000 });
          try {
            const statement = db.prepare(text);
            if (statement.reader) return statement.all() as Record<string, unknown>[];
            statement.run();
            return [];
          } finally {
            db.close();
          }
        },
        close: async () => void (await Promise.all(opened.map((l) => l.close()))),
      };
    },
  };
}

function postgresKind(): LedgerKind {
  const server = inject('postgresUrl');
  return {
    name: 'PostgreSQL',
    unavailable: server ? undefined : 'no PostgreSQL server (install Debian\'s postgresql package, or set FERRY_TEST_POSTGRES_URL)',
    async store() {
      const name = `ferry_test_${process.pid}_${++databases}`;
      const admin = new (Client())({ connectionString: server });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(server);
      url.pathname = `/${name}`;
      const opened: Ledger[] = [];
      return {
        location: url.toString(),
        open: (options) => {
          const ledger = new PostgresLedger(url.toString(), options);
          opened.push(ledger);
          return ledger;
        },
        async sql(text) {
          const client = new (Client())({ connectionString: url.toString() });
          await client.connect();
          try {
            return (await client.query(text)).rows as Record<string, unknown>[];
          } finally {
            await client.end();
          }
        },
        close: async () => void (await Promise.all(opened.map((l) => l.close()))),
      };
    },
  };
}

/** Both ledgers; a test suite runs `describe.each` over them. */
export function ledgerKinds(): LedgerKind[] {
  return [sqliteKind(), postgresKind()];
}
