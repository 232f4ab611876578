import { buildTrace, normalizeKey, renderTrace } from '../../report/trace.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/** `ferry trace SYSTEM/ENTITY/ID`: a record's lineage across systems, both ways, from the ledger. */
export async function traceCommand(app: App, io: CliIo, key: string, options: { json?: boolean }): Promise<ExitCode> {
  const start = normalizeKey(key, app.registry);
  const trace = await buildTrace(app.ledger, app.flows(), start);
  io.out(options.json ? JSON.stringify(trace, null, 2) : renderTrace(trace));
  return EXIT.ok;
}
