// Whether dist/ holds a build of the TypeScript as it is now. Shared by the launcher (which runs the
// source through tsx when it does not) and the test suite (which rebuilds it before starting processes).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['src', 'connectors', 'emulators', 'config/schemas'];
export const BUILD_INFO = 'dist/.tsbuildinfo';

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** True when dist/ was built after every source file last changed. An installed package ships no TypeScript: its build is what there is. */
export function buildIsCurrent(root) {
  const info = join(root, BUILD_INFO);
  if (!existsSync(info)) return false;
  if (!existsSync(join(root, 'src'))) return true;
  const built = statSync(info).mtimeMs;
  return SOURCES.every((dir) => !existsSync(join(root, dir)) || newestSource(join(root, dir)) <= built);
}
