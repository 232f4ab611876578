/**
 * A payload a person wrote for one record (`ferry dead-letter edit`, `ferry apply`), sent in place of what
 * the mapping gave. It is checked against the target's schema like any mapped payload, reserved and
 * settled like any write, and keeps the record's source hash: the source as it is stays "unchanged", and
 * its next change maps normally again.
 */
import type { JsonObject } from '../connector/types.js';
import { PermanentError } from '../errors.js';
import type { Flow } from '../flow/types.js';
import type { RecordState, RecordStatus } from '../ledger/ledger.js';
import { targetSchemaValidator } from '../validation/target-schema.js';
import { writeMatch } from './decide.js';
import { contentHash, textHash } from './hash.js';
import type { PlannedWrite } from './writer.js';

/** Records a person may send an edited payload for: those that did not reach the target, and those held for a decision. */
export const EDITABLE: readonly RecordStatus[] = ['dead', 'failed', 'held'];

/** What a person changed: the payload to send, and who, for the record's history. */
export interface PayloadEdit {
  sourceId: string;
  payload: JsonObject;
  by: string;
  /** The history event: `edited`, or `applied` for a payment applied by hand. */
  kind: string;
  /** Kept in the event beside the original and edited payloads. */
  detail?: JsonObject;
}

/** The problems that stop an edited payload: the target schema's refusals, field by field. */
export function editProblems(payload: unknown, schema: JsonObject | undefined): string[] {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return ['the payload must be a JSON object of the target’s fields'];
  return schema ? targetSchemaValidator(schema)(payload as JsonObject) : [];
}

export function plannedEdit(flow: Flow, state: RecordState, edit: PayloadEdit, matchValue: unknown, schema: JsonObject | undefined): PlannedWrite {
  if (!EDITABLE.includes(state.status)) throw new PermanentError(`${flow.name} / ${state.sourceId} is ${state.status}: only a ${EDITABLE.join(', ')} record can be sent with an edited payload`);
  const problems = editProblems(edit.payload, schema);
  if (problems.length) throw new PermanentError(`the edited payload of ${flow.name} / ${state.sourceId} is refused by the target's schema: ${problems.join('; ')}`, { code: 'validation' });
  const payloadJson = JSON.stringify(edit.payload);
  const outputHash = textHash(payloadJson);
  const sourceHash = state.sourceHash ?? contentHash(state.source ?? {});
  // A key of its own: the edited write is a new request, never a replay of the refused one.
  const idempotencyKey = `ferry-${contentHash([flow.name, state.sourceId, outputHash, state.attempts, edit.kind])}`;
  return {
    item: {
      sourceId: state.sourceId,
      idempotencyKey,
      targetId: state.targetId,
      match: writeMatch(flow, matchValue),
      // An earlier attempt may have reached the target: look before creating.
      retry: state.status === 'held' ? undefined : true,
      payload: edit.payload,
    },
    pending: {
      sourceId: state.sourceId,
      idempotencyKey,
      inLedger: true,
      sourceHash,
      outputHash,
      flowVersion: flow.version,
      sourceUpdatedAt: state.sourceUpdatedAt,
      targetId: state.targetId,
      matchValue,
      source: state.source ?? {},
      payload: edit.payload,
      payloadJson,
    },
    previous: state,
  };
}
