/**
 * Vitest's global setup: tests that start `bin/ferry` as a process (SIGKILL, two daemons) run the
 * compiled JavaScript a user runs, so dist/ is rebuilt first when a source changed since the last build.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
// @ts-expect-error: plain JavaScript shared with the launcher, without type declarations.
import { buildIsCurrent } from '../../bin/build-state.mjs';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '../..');
  if ((buildIsCurrent as (root: string) => boolean)(root)) return;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
}
