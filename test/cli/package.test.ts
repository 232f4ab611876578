/**
 * Ferry as a user installs it: packed into a tarball (`npm pack`, which builds dist/), installed with
 * `npm install -g` into an empty prefix from the npm registry, and run from an empty folder. Heavy (a
 * full install of the dependencies): FERRY_HEAVY=1.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/harness.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe.runIf(process.env.FERRY_HEAVY === '1')('the packed package', () => {
  it('installs with npm install -g from its tarball, and answers, validates and runs the demo from an empty folder', { timeout: 600_000 }, () => {
    const work = tempDir('ferry-pack-');
    execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    const prefix = join(work, 'prefix');
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(work, tarball)], { stdio: ['ignore', 'ignore', 'inherit'] });
    const ferry = join(prefix, 'bin', 'ferry');
    const here = join(work, 'empty');
    mkdirSync(here);
    const run = (...args: string[]) => execFileSync(ferry, args, { cwd: here, encoding: 'utf8' });
    expect(run('--version').trim()).toBe((JSON.parse(execFileSync('npm', ['pkg', 'get', 'version'], { cwd: ROOT, encoding: 'utf8' })) as string));
    expect(run('validate', join(prefix, 'lib/node_modules/ferry/flows'))).toMatch(/^17 flow file\(s\) valid: /);
    expect(run('demo')).toContain("No flows directory here: the demo runs Ferry's example flows");
  });
});
