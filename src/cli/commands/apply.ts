import { Decimal } from 'decimal.js';
import { EDITABLE } from '../../engine/edited-write.js';
import { FerryError } from '../../errors.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { person } from './approve.js';
import { notInStatus } from './decision.js';
import { sendEdited } from './edit.js';

/**
 * `ferry apply FLOW PAYMENT_ID --to INVOICE [--amount 12.34]`: cash application by hand. A payment no
 * invoice claimed (held as unmatched, or dead-lettered) is booked against the invoice a person chose,
 * through the flow's target, which refuses another customer's invoice or more than its balance. The
 * payment's history and the invoice's record in the ledger both say so.
 */
export async function applyCommand(app: App, io: CliIo, flowName: string, paymentId: string, options: { to: string; amount?: string }): Promise<ExitCode> {
  const flow = app.flow(flowName);
  const [record] = await app.ledger.getRecords(flow.name, [paymentId]);
  if (!record || !EDITABLE.includes(record.status)) {
    io.err(notInStatus(flow.name, paymentId, 'held, dead-lettered or failed', record));
    return EXIT.usage;
  }
  const target = await app.connections.entity(flow.target.connector, flow.target.connection, flow.target.entity);
  if (!target.entity.applyTo) {
    io.err(`ferry: ${flow.target.connector}/${flow.target.entity} takes no payment applied by hand: ${flow.name} does not write payments`);
    return EXIT.usage;
  }
  let applied;
  try {
    applied = await target.entity.applyTo(target.client, record.payload ?? {}, options.to, options.amount);
  } catch (error) {
    if (!(error instanceof FerryError) || error.kind !== 'permanent') throw error;
    io.err(`ferry: ${error.message}; nothing sent`);
    return EXIT.usage;
  }
  const { document } = applied;
  const by = person();
  const code = await sendEdited(app, io, flow, { sourceId: paymentId, payload: applied.payload, by, kind: 'applied', detail: { to: document.label, documentId: document.id, amount: document.applied } });
  const [after] = await app.ledger.getRecords(flow.name, [paymentId]);
  if (after?.status !== 'synced') return code;
  const left = new Decimal(document.balance).minus(document.applied).toFixed(2);
  io.out(`${flow.name} / ${paymentId} applied to ${document.label}: ${document.applied} of its balance ${document.balance} (${left} left open)`);
  // The invoice's own record, in the flow that wrote it, learns of the payment too.
  for (const other of app.flows().filter((f) => f.target.connector === flow.target.connector && f.target.entity === document.entity)) {
    const sourceId = await app.ledger.findSource(other.name, document.id);
    if (sourceId) await app.ledger.recordDecision(other.name, sourceId, 'payment-applied', { by, payment: `${flow.name}/${paymentId}`, amount: document.applied, balanceBefore: document.balance });
  }
  return code;
}
