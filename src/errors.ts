/**
 * Errors are named by what the caller must do about them, not by where they came from:
 * retry later (transient), stop retrying and dead-letter (permanent), reconnect (auth),
 * or fix a file (config). The runner switches on the class, never on message text.
 */

export interface ErrorDetail {
  /** HTTP status the service answered, when there was one. */
  status?: number;
  /** The vendor's own error code (`rate_limit`, `ValidationFault`, `6240`...). */
  code?: string;
  /** The record field the service or a check blamed, as a path (`Line[2].Amount`). */
  field?: string;
}

export abstract class FerryError extends Error {
  abstract readonly kind: 'transient' | 'permanent' | 'auth' | 'config';
  readonly status?: number;
  readonly code?: string;
  readonly field?: string;

  constructor(message: string, detail: ErrorDetail = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = detail.status;
    this.code = detail.code;
    this.field = detail.field;
  }
}

/** Worth trying again: rate limits, 5xx, timeouts, dropped connections. */
export class TransientError extends FerryError {
  readonly kind = 'transient' as const;
  /** How long the service asked us to wait (from `Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number;

  constructor(message: string, detail: ErrorDetail & { retryAfterMs?: number } = {}, options?: { cause?: unknown }) {
    super(message, detail, options);
    this.retryAfterMs = detail.retryAfterMs;
  }
}

/** Trying again cannot help until someone changes the record, the flow or the target. */
export class PermanentError extends FerryError {
  readonly kind = 'permanent' as const;
}

/**
 * A run's write refused because its lock has passed to another holder (its lease ran out while it was
 * paused): the run stops at once, retrying nothing; the new holder settles what it left.
 */
export class StaleLockError extends PermanentError {
  constructor(flow: string) {
    super(`this run of '${flow}' lost its lock to another process (its lease ran out); it stopped writing, and the holder settles what it left`, { code: 'stale-lock' });
  }
}

/** Credentials are missing, expired or revoked: a person must reconnect. */
export class AuthError extends FerryError {
  readonly kind = 'auth' as const;
}

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field at fault (`mapping.Customer`), empty for the whole file. */
  path: string;
  message: string;
}

/** `file:line:column path: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.column}`;
  return d.path ? `${where} ${d.path}: ${d.message}` : `${where} ${d.message}`;
}

/** The file relative to `cwd` when it lies inside it, as a person typed it. */
export function displayPath(file: string, cwd?: string): string {
  return cwd && file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

/** A flow or config file is wrong; carries every mistake found, not just the first. */
export class ConfigError extends FerryError {
  readonly kind = 'config' as const;
  readonly diagnostics: Diagnostic[];

  constructor(message: string, diagnostics: Diagnostic[] = []) {
    const sorted = sortDiagnostics(diagnostics);
    super(sorted.length ? sorted.map(formatDiagnostic).join('\n') : message);
    this.diagnostics = sorted;
  }
}

/** A `$lookup` found no cross-reference yet: the record waits for its parent instead of failing. */
export class MissingParentError extends Error {
  constructor(
    readonly parentFlow: string,
    readonly parentId: string,
  ) {
    super(`waiting for ${parentFlow} record ${parentId} to sync`);
    this.name = 'MissingParentError';
  }
}

export type ErrorClass = FerryError['kind'];

/** Classifies anything thrown; unknown errors are treated as transient, so nothing is lost to a bug in a classifier. */
export function toFerryError(error: unknown): FerryError {
  if (error instanceof FerryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TransientError(message, {}, { cause: error });
}
