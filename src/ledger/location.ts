/** Where a ledger is: a `postgres://` (or `postgresql://`) URL for PostgreSQL, else a SQLite file's path. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/** The location as it may be printed: a URL without its password. */
export function ledgerLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  const url = new URL(location);
  if (url.password) url.password = '***';
  return url.toString();
}
