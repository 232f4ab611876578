/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The command ran, but records failed, were held, are waiting, a reconciliation found a mismatch, or `ferry check` a problem. */
  recordsFailed: 1,
  /** Bad arguments, a bad flow or config file, a missing environment variable. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
