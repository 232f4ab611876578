import type { JsonObject } from '../../connector/types.js';
import type { RecordState, RecordStatus } from '../../ledger/ledger.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/** A person's decision on one record in a given status (reject a held record, discard a dead one). */
export interface RecordDecision {
  /** The status the record must be in, and how to say it ("held", "dead-lettered"). */
  from: RecordStatus;
  fromWords: string;
  /** The history event, the status the record moves to, and what the event keeps. */
  kind: string;
  to: RecordStatus;
  detail(record: RecordState, reason: string): JsonObject;
  /** The line printed when it is done. */
  done(reason: string): string;
}

/** Checks the reason and the record's status, records the decision in its history, and says so. */
export async function decideOnRecord(app: App, io: CliIo, flowName: string, id: string, reason: string | undefined, decision: RecordDecision): Promise<ExitCode> {
  if (!reason?.trim()) {
    io.err("ferry: say why with --reason TEXT; it is kept in the record's history");
    return EXIT.usage;
  }
  const flow = app.flow(flowName);
  const [record] = await app.ledger.getRecords(flow.name, [id]);
  if (record?.status !== decision.from) {
    io.err(notInStatus(flow.name, id, decision.fromWords, record));
    return EXIT.usage;
  }
  await app.ledger.recordDecision(flow.name, id, decision.kind, decision.detail(record, reason), decision.to, `${decision.kind}: ${reason}`);
  io.out(`${flow.name} / ${id} ${decision.done(reason)}`);
  return EXIT.ok;
}

export function notInStatus(flow: string, id: string, words: string, record: RecordState | undefined): string {
  return `ferry: ${flow} / ${id} is not ${words}${record ? ` (it is ${record.status})` : ' (the ledger has no such record)'}`;
}
