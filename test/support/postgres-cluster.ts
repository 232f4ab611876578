/**
 * Vitest's global setup for the ledger's PostgreSQL half: a throwaway cluster on a loopback port, as an
 * unprivileged user (`postgres` when the tests run as root), stopped when the run ends. A server named
 * by FERRY_TEST_POSTGRES_URL is used instead. Without either (no PostgreSQL on the machine), the
 * PostgreSQL tests skip and say so; CI always has one (.ci/run installs Debian's package).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server the tests may create databases in; empty when there is none. */
    postgresUrl: string;
  }
}

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  url: string;
  stop(): void;
}

/** A throwaway cluster on a free loopback port, or why there cannot be one. Also used by `npm run bench`. */
export async function startThrowawayCluster(): Promise<Cluster | { unavailable: string }> {
  const bin = BIN_DIRS.find((dir) => existsSync(join(dir, 'initdb')));
  if (!bin) return { unavailable: 'PostgreSQL is not installed (apt-get install postgresql)' };
  // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user then.
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const run = (command: string, args: string[]) => {
    const [program, ...rest] = [...asUser, command, ...args];
    execFileSync(program!, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  run(join(bin, 'initdb'), ['-D', data, '-U', 'ferry', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  return {
    url: `postgres://ferry@127.0.0.1:${port}/postgres`,
    stop: () => {
      const [program, ...rest] = [...asUser, join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
      spawnSync(program!, rest, { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (process.env.FERRY_TEST_POSTGRES_URL) {
    project.provide('postgresUrl', process.env.FERRY_TEST_POSTGRES_URL);
    return undefined;
  }
  const cluster = await startThrowawayCluster();
  if ('unavailable' in cluster) {
    console.warn(`${cluster.unavailable}: the PostgreSQL ledger tests are skipped`);
    project.provide('postgresUrl', '');
    return undefined;
  }
  project.provide('postgresUrl', cluster.url);
  return cluster.stop;
}
