/**
 * Waits a connector sits through for a service's budget (a rate limit, a cost bucket), announced on a
 * diagnostics channel so whoever shows progress can say why a run is quiet ("waiting 14 s for
 * QuickBooks' limit of 40 batches a minute"), without the connectors knowing who listens.
 */
import { channel } from 'node:diagnostics_channel';

export interface WaitNotice {
  /** What the wait is for, as a person reads it: "QuickBooks' limit of 40 batches a minute". */
  what: string;
  ms: number;
}

const waits = channel('ferry.wait');

export function announceWait(what: string, ms: number): void {
  if (waits.hasSubscribers) waits.publish({ what, ms } satisfies WaitNotice);
}

/** Hears every wait announced until the returned function is called. */
export function onWait(listener: (notice: WaitNotice) => void): () => void {
  const handler = (message: unknown) => listener(message as WaitNotice);
  waits.subscribe(handler);
  return () => waits.unsubscribe(handler);
}
