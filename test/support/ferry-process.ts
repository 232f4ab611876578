/**
 * The ferry CLI as a real child process, for the suites that kill it (nock and in-process runs cannot
 * be SIGKILLed): `bin/ferry --config ferry.yaml --quiet ARGS...` in `cwd`.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export const FERRY_BIN = resolve(import.meta.dirname, '../../bin/ferry');

export interface FerryExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** Wall time from start to exit. */
  ms: number;
}

export interface FerryProcessOptions {
  /** SIGKILL this long after the start. */
  killAfterMs?: number;
  env?: Record<string, string>;
  /** Fail (resolve with signal SIGKILL and a note) when the process has not exited by itself this long after its start. */
  mustExitWithinMs?: number;
}

export function ferryProcess(cwd: string, args: string[], options: FerryProcessOptions = {}): Promise<FerryExit> {
  const started = Date.now();
  const child = spawn(process.execPath, [FERRY_BIN, '--config', 'ferry.yaml', '--quiet', ...args], { cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const kill = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
  const hung = options.mustExitWithinMs === undefined ? undefined : setTimeout(() => {
    output += `\n[test] still alive after ${options.mustExitWithinMs} ms: killed`;
    child.kill('SIGKILL');
  }, options.mustExitWithinMs);
  return new Promise((done) =>
    child.on('exit', (code, signal) => {
      clearTimeout(kill);
      clearTimeout(hung);
      done({ code, signal, output, ms: Date.now() - started });
    }),
  );
}

/** One number from the project's ledger (`ledger.db` in `cwd`), read-only. */
export function ledgerCount(cwd: string, sql: string, ...params: (string | number)[]): number {
  const db = new Database(join(cwd, 'ledger.db'), { readonly: true });
  try {
    return (db.prepare(sql).get(...params) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Writes reserved and not settled: pages still reserved, and pending rows. */
export const UNSETTLED_SQL = "SELECT (SELECT COUNT(*) FROM records WHERE status = 'pending') + (SELECT COUNT(*) FROM write_intents) AS n";
