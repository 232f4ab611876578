import { userInfo } from 'node:os';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { chooseInBulk, decideOnRecords, type DecisionOptions, notInStatus } from './decision.js';
import { isBulk, type SelectionOptions } from '../selection.js';
import { executeRuns } from './run.js';

/** Who made a decision, for the record's history. */
export function person(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * `ferry approve FLOW ID... [--now]`: releases records a rule held (a credit check, a payment exception).
 * The approval is for the record as it is now: it is booked by the flow's next run (or at once with --now) without the hold
 * rules; if the source changes before that, the rules look at it again. With --now, the records other flows
 * hold back waiting for these (an order's payment, waiting for its invoice) are run too, and theirs in turn.
 */
export async function approveCommand(app: App, io: CliIo, flowName: string, ids: string[], options: SelectionOptions & { now?: boolean }): Promise<ExitCode> {
  const flow = app.flow(flowName);
  if (isBulk(options) || !ids.length) {
    const chosen = await chooseInBulk(app, io, flow.name, ids, ['held'], options, { words: 'held', verb: 'approve' });
    if (typeof chosen === 'number') return chosen;
    ids = chosen.map((r) => r.sourceId);
  }
  const approved: string[] = [];
  let refused = false;
  for (const id of ids) {
    if (await app.ledger.approveHeld(flow.name, id, { by: person() })) {
      approved.push(id);
      continue;
    }
    const [record] = await app.ledger.getRecords(flow.name, [id]);
    io.err(notInStatus(flow.name, id, 'held', record));
    refused = true;
  }
  if (approved.length) {
    io.out(`approved ${approved.length} record(s) of ${flow.name}: ${approved.length > 10 ? `${approved.slice(0, 10).join(', ')}, and ${approved.length - 10} more` : approved.join(', ')}`);
    if (options.now) return bookNow(app, io, flow.name, approved);
    io.out(`They are booked by the flow's next run (the daemon's schedule, \`ferry run ${flow.name}\`, or \`ferry demo\`).`);
  }
  return refused ? EXIT.usage : EXIT.ok;
}

/** Runs the approved records, then every record waiting on one just booked, flow by flow, until none is left. */
async function bookNow(app: App, io: CliIo, flowName: string, ids: string[]): Promise<ExitCode> {
  const flows = app.flows();
  let code: ExitCode = EXIT.ok;
  let round = [{ flow: flowName, ids }];
  const ran = new Set<string>();
  while (round.length) {
    const parents = new Set<string>();
    for (const { flow, ids: chosen } of round) {
      ran.add(flow);
      const result = await executeRuns(app, io, [app.flow(flow)], { trigger: 'manual', selection: { kind: 'records', ids: chosen, force: false } });
      code = Math.max(code, result) as ExitCode;
      for (const id of chosen) parents.add(`${flow}:${id}`);
    }
    const next: typeof round = [];
    for (const other of flows.filter((f) => !ran.has(f.name))) {
      const waiting = (await app.ledger.listRecords(other.name, { statuses: ['waiting'] })).filter((r) => r.waitingOn && parents.has(r.waitingOn)).map((r) => r.sourceId);
      if (waiting.length) next.push({ flow: other.name, ids: waiting });
    }
    if (next.length) io.out(`then the records waiting on them: ${next.map((n) => `${n.flow} (${n.ids.length})`).join(', ')}`);
    round = next;
  }
  return code;
}

/** `ferry reject FLOW [ID...] --reason TEXT [selection]`: held records refused on purpose: dead-lettered with the reason. */
export function rejectCommand(app: App, io: CliIo, flowName: string, ids: string[], options: DecisionOptions): Promise<ExitCode> {
  return decideOnRecords(app, io, flowName, ids, options, {
    from: 'held',
    fromWords: 'held',
    verb: 'reject',
    kind: 'rejected',
    to: 'dead',
    detail: (record, reason) => ({ by: person(), reason, held: record.reason ?? null }),
    done: (reason) => `rejected and dead-lettered: ${reason}`,
  });
}
