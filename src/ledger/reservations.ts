/**
 * A ledger's memory, in this process, of the writes it reserved and has not settled: which write-intent
 * row holds each, and how many of each row's writes are still open. A settlement counts its claims on
 * a copy inside its transaction (`countDown`) and applies them only once it has committed (`committed`),
 * so a failed commit leaves memory as the database.
 */
import type { PendingWrite, Settlement } from './ledger.js';
import { reservationKey } from './rows.js';

export interface Reservation {
  intent: number;
  idempotencyKey: string;
  /** The ledger already held a row for the record when the write was reserved. */
  inLedger: boolean;
}

export class Reservations {
  private readonly byRecord = new Map<string, Reservation>();
  /** Per open intent, how many of its writes are not settled yet. */
  private readonly open = new Map<number, number>();

  /** Writes just reserved in intent row `intent`. */
  remember(flow: string, intent: number, writes: PendingWrite[]): void {
    for (const w of writes) this.byRecord.set(reservationKey(flow, w.sourceId), { intent, idempotencyKey: w.idempotencyKey, inLedger: w.inLedger });
    this.open.set(intent, writes.length);
  }

  /** The reservation each settlement settles, if this process made one. */
  claims(flow: string, settlements: Settlement[]): (Reservation | undefined)[] {
    return settlements.map((s) => this.byRecord.get(reservationKey(flow, s.sourceId)));
  }

  /** Counts one settled claim on `left`; true when its intent has no write left open, so its row can go. */
  countDown(claim: Reservation, left: Map<number, number>): boolean {
    const remaining = (left.get(claim.intent) ?? this.open.get(claim.intent) ?? 1) - 1;
    left.set(claim.intent, remaining);
    return remaining === 0;
  }

  /** After the settlement committed: its claims are settled, and intents counted down to nothing are gone. */
  committed(flow: string, settlements: Settlement[], claims: (Reservation | undefined)[], left: Map<number, number>): void {
    settlements.forEach((s, i) => claims[i] && this.byRecord.delete(reservationKey(flow, s.sourceId)));
    for (const [intent, remaining] of left) this.open.set(intent, remaining);
    this.forget([...left].filter(([, remaining]) => remaining <= 0).map(([intent]) => intent));
  }

  /** Intents settled in full or turned into pending rows. */
  forget(ids: number[]): void {
    if (!ids.length) return;
    const gone = new Set(ids);
    for (const [key, reservation] of this.byRecord) if (gone.has(reservation.intent)) this.byRecord.delete(key);
    for (const id of ids) this.open.delete(id);
  }
}
