import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { displayPath, formatDiagnostic } from '../../errors.js';
import { listFlowFiles, loadFlowFiles } from '../../flow/load.js';
import { unseenSourcePaths } from '../../flow/online.js';
import { overlappingWriters } from '../../flow/overlap.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/**
 * `ferry validate [FILES...] [--online]`: checks flow files (default: the flows directory) together with
 * the other flows they depend on, and prints every mistake as `file:line:column field: message`.
 * `--online` also reads one page of each flow's source and warns about paths no record has.
 */
export async function validateCommand(app: App, io: CliIo, paths: string[], options: { json?: boolean; online?: boolean }): Promise<ExitCode> {
  const requested = paths.length ? paths.flatMap((p) => expand(resolve(app.cwd, p))) : listFlowFiles(app.config.flowsDir);
  // Other flows give context (depends_on, $lookup); only the requested files are reported on.
  const context = existsSync(app.config.flowsDir) ? listFlowFiles(app.config.flowsDir).filter((f) => !requested.includes(f)) : [];
  const { flows, diagnostics } = loadFlowFiles([...requested, ...context], app.registry, { alerts: new Set(app.config.alerts.keys()) });
  const reported = diagnostics.filter((d) => requested.includes(d.file) || !context.includes(d.file));
  const relative = (file: string) => displayPath(file, app.cwd);
  // Warnings do not fail validation: the flows run, but not as their author probably meant.
  const mine = flows.filter((f) => requested.includes(f.file));
  const warnings = reported.length ? [] : [...overlappingWriters(flows, (f) => requested.includes(f.file)), ...(options.online ? await unseenSourcePaths(mine, app.connections) : [])];

  if (options.json) {
    io.out(JSON.stringify({ files: requested.map(relative), valid: reported.length === 0, problems: reported.map((d) => ({ ...d, file: relative(d.file) })), warnings: warnings.map((d) => ({ ...d, file: relative(d.file) })) }, null, 2));
  } else if (reported.length) {
    for (const d of reported) io.err(formatDiagnostic({ ...d, file: relative(d.file) }));
    io.err(`${reported.length} problem${reported.length === 1 ? '' : 's'} in ${new Set(reported.map((d) => d.file)).size} file(s)`);
  } else {
    for (const d of warnings) io.err(`warning: ${formatDiagnostic({ ...d, file: relative(d.file) })}`);
    const names = mine.map((f) => f.name);
    io.out(`${requested.length} flow file(s) valid${names.length ? `: ${names.join(', ')}` : ''}`);
  }
  return reported.length ? EXIT.usage : EXIT.ok;
}

function expand(path: string): string[] {
  return existsSync(path) && statSync(path).isDirectory() ? listFlowFiles(path) : [path];
}
