import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { JsonObject } from '../../connector/types.js';
import { EDITABLE, editProblems, type PayloadEdit } from '../../engine/edited-write.js';
import { ConfigError } from '../../errors.js';
import type { Flow } from '../../flow/types.js';
import type { RecordState } from '../../ledger/ledger.js';
import { writeOwnerOnlyFile } from '../../owner-only.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { person } from './approve.js';
import { notInStatus } from './decision.js';
import { executeRuns } from './run.js';

/**
 * `ferry dead-letter edit FLOW ID [--payload FILE]`: a person corrects the payload of a record that could
 * not be delivered (or one held for a decision) and sends it once. The editor opens the stored payload;
 * what comes back is checked against the target's schema before anything is sent. The original, the
 * edited payload and who changed it stay in the record's history.
 */
export async function editCommand(app: App, io: CliIo, flowName: string, id: string, options: { payload?: string }): Promise<ExitCode> {
  const flow = app.flow(flowName);
  const [record] = await app.ledger.getRecords(flow.name, [id]);
  if (!record || !EDITABLE.includes(record.status)) {
    io.err(notInStatus(flow.name, id, 'dead-lettered, failed or held', record));
    return EXIT.usage;
  }
  const edited = options.payload ? readPayload(resolve(app.cwd, options.payload)) : editInEditor(flow, record);
  if (JSON.stringify(edited) === JSON.stringify(record.payload ?? {})) {
    io.out('the payload is unchanged: nothing sent');
    return EXIT.ok;
  }
  return sendEdited(app, io, flow, { sourceId: id, payload: edited as JsonObject, by: person(), kind: 'edited' });
}

/** Checks an edited payload against the target's schema, then sends it through the flow's target. */
export async function sendEdited(app: App, io: CliIo, flow: Flow, edit: PayloadEdit): Promise<ExitCode> {
  const problems = editProblems(edit.payload, app.registry.get(flow.target.connector)?.entities[flow.target.entity]?.schema);
  if (problems.length) {
    for (const problem of problems) io.err(`${flow.name} / ${edit.sourceId} payload: ${problem}`);
    io.err('ferry: nothing sent; correct the payload and try again');
    return EXIT.usage;
  }
  return executeRuns(app, io, [flow], { trigger: 'resync', selection: { kind: 'edited', edit } });
}

function readPayload(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(`${file} is not JSON: ${(error as Error).message}; nothing sent`);
  }
}

/** Opens the payload in $VISUAL or $EDITOR (which may carry arguments: `code --wait`), in an owner-only temporary file. */
function editInEditor(flow: Flow, record: RecordState): unknown {
  const editor = process.env.VISUAL || process.env.EDITOR;
  if (!editor) throw new ConfigError('no editor: set $EDITOR (or $VISUAL), or give the corrected payload with --payload FILE');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-edit-'));
  const file = join(dir, `${flow.name}-${record.sourceId.replace(/[^\w.-]/g, '_')}.json`);
  try {
    writeOwnerOnlyFile(file, `${JSON.stringify(record.payload ?? {}, null, 2)}\n`);
    const opened = spawnSync(`${editor} "${file}"`, { shell: true, stdio: 'inherit' });
    if (opened.status !== 0) throw new ConfigError(`the editor (${editor}) ended with ${opened.error?.message ?? `exit code ${opened.status}`}: nothing sent`);
    return readPayload(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
