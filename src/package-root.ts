import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Ferry's own directory, the one holding its package.json: found from this file whether it runs as
 * TypeScript from `src/` or compiled in `dist/src/`, so files shipped beside the code (the flow schema,
 * the vendors' contracts) are found the same way in a clone and in an installed package.
 */
export const PACKAGE_ROOT = ((): string => {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`Ferry's package.json was not found above ${import.meta.dirname}`);
  }
})();
