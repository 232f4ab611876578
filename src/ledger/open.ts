/**
 * The ledger a location names: a `postgres://` URL for PostgreSQL, shared by daemons on several
 * machines; anything else is the path of a SQLite file, the embedded default.
 */
import type { Ledger } from './ledger.js';
import { PostgresLedger } from './postgres-ledger.js';
import { SqliteLedger } from './sqlite-ledger.js';
import { isPostgresUrl } from './location.js';

export function openLedger(location: string, options: { now?: () => Date } = {}): Ledger {
  return isPostgresUrl(location) ? new PostgresLedger(location, options) : new SqliteLedger(location, options);
}
