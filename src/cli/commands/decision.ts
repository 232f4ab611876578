import type { JsonObject } from '../../connector/types.js';
import type { RecordState, RecordStatus } from '../../ledger/ledger.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { confirmed, describeChoice, isBulk, SelectionError, type SelectionOptions, selectRecords } from '../selection.js';

/** A person's decision on records in a given status (reject a held record, discard a dead one). */
export interface RecordDecision {
  /** The status the record must be in, and how to say it ("held", "dead-lettered"). */
  from: RecordStatus;
  fromWords: string;
  /** What is done, as a verb ("discard") for the question asked before a bulk decision. */
  verb: string;
  /** The history event, the status the record moves to, and what the event keeps. */
  kind: string;
  to: RecordStatus;
  detail(record: RecordState, reason: string): JsonObject;
  /** The line printed when one record is done. */
  done(reason: string): string;
}

export type DecisionOptions = SelectionOptions & { reason?: string };

/**
 * Checks the reason, chooses the records (ids, or a selection said aloud and confirmed), records the
 * decision in each one's history, and says so. A record named alone must be in the decision's status.
 */
export async function decideOnRecords(app: App, io: CliIo, flowName: string, ids: string[], options: DecisionOptions, decision: RecordDecision): Promise<ExitCode> {
  const reason = options.reason?.trim();
  if (!reason) {
    io.err(`ferry: say why with --reason TEXT; it is kept in ${ids.length === 1 && !isBulk(options) ? "the record's" : "each record's"} history`);
    return EXIT.usage;
  }
  const flow = app.flow(flowName);
  if (ids.length === 1 && !isBulk(options)) {
    const [record] = await app.ledger.getRecords(flow.name, ids);
    if (record?.status !== decision.from) {
      io.err(notInStatus(flow.name, ids[0]!, decision.fromWords, record));
      return EXIT.usage;
    }
    await app.ledger.recordDecision(flow.name, record.sourceId, decision.kind, decision.detail(record, reason), decision.to, `${decision.kind}: ${reason}`);
    io.out(`${flow.name} / ${record.sourceId} ${decision.done(reason)}`);
    return EXIT.ok;
  }
  const chosen = await chooseInBulk(app, io, flow.name, ids, [decision.from], options, { words: decision.fromWords, verb: decision.verb, extra: `; reason: ${reason}` });
  if (typeof chosen === 'number') return chosen;
  for (const record of chosen) {
    await app.ledger.recordDecision(flow.name, record.sourceId, decision.kind, decision.detail(record, reason), decision.to, `${decision.kind}: ${reason}`);
  }
  io.out(`${decision.kind} ${chosen.length} record(s) of ${flow.name}: ${reason}`);
  return EXIT.ok;
}

/**
 * The records a bulk action takes, once it has said what it will do and a person (or `--yes`) agreed; an
 * exit code when there is nothing to do or it must not go ahead.
 */
export async function chooseInBulk(
  app: App,
  io: CliIo,
  flow: string,
  ids: string[],
  statuses: readonly RecordStatus[],
  options: SelectionOptions,
  say: { words: string; verb: string; extra?: string; ask?: boolean },
): Promise<RecordState[] | ExitCode> {
  let chosen: RecordState[];
  try {
    chosen = await selectRecords(app, flow, ids, statuses, options);
  } catch (error) {
    if (!(error instanceof SelectionError)) throw error;
    io.err(`ferry: ${error.message}`);
    return EXIT.usage;
  }
  if (!chosen.length) {
    io.out(`no ${say.words} record of ${flow} is chosen: nothing to ${say.verb}`);
    return EXIT.ok;
  }
  io.out(`This will ${say.verb} ${describeChoice(chosen, say.words, flow)}${say.extra ?? ''}`);
  if (say.ask === false) return chosen;
  const answer = await confirmed(io, options);
  if (answer === 'nobody-to-ask') {
    io.err('ferry: nobody at a terminal to ask: add --yes to go ahead');
    return EXIT.usage;
  }
  if (!answer) {
    io.out(`nothing done`);
    return EXIT.ok;
  }
  return chosen;
}

export function notInStatus(flow: string, id: string, words: string, record: RecordState | undefined): string {
  return `ferry: ${flow} / ${id} is not ${words}${record ? ` (it is ${record.status})` : ' (the ledger has no such record)'}`;
}
