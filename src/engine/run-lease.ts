/**
 * A run's hold on its flow: the flow's lock, as a fenced lease renewed every third of its length. The
 * ledger refuses the run's writes once the lock has passed to another holder; and before each call to
 * the target the run checks that its lease, as last renewed, has not run out, so a process paused past
 * its lease (SIGSTOP, a suspended VM) sends nothing when it wakes, even before the ledger has been asked.
 */
import { StaleLockError } from '../errors.js';
import type { Coordination, Lease } from '../ledger/ledger.js';
import type { Logger } from '../log.js';
import { isAbandoned } from './lock-owner.js';

export class FlowBusyError extends Error {
  constructor(flow: string) {
    super(`flow '${flow}' is already running in another process; try again when it has finished`);
    this.name = 'FlowBusyError';
  }
}

export class RunLease {
  private renewal?: NodeJS.Timeout;
  /** Until when (this run's clock) the lease is sure to be its own. */
  private until = 0;
  private lost = false;

  private constructor(
    readonly lease: Lease,
    private readonly flow: string,
    private readonly owner: string,
    private readonly ledger: Coordination,
    private readonly now: () => Date,
  ) {}

  static async take(flow: string, owner: string, leaseMs: number, deps: { ledger: Coordination; logger: Logger; now: () => Date }): Promise<RunLease> {
    const lock = `flow:${flow}`;
    const renewedAt = deps.now().getTime();
    const fence = await deps.ledger.acquireLock(lock, owner, leaseMs, isAbandoned);
    if (fence === undefined) throw new FlowBusyError(flow);
    const held = new RunLease({ lock, fence }, flow, owner, deps.ledger, deps.now);
    // Another host judges expiry by its own clock: the lease counts as over a sixth before it ends.
    const usable = (leaseMs * 5) / 6;
    held.until = renewedAt + usable;
    held.renewal = setInterval(() => {
      const at = deps.now().getTime();
      void deps.ledger.renewLock(lock, owner, fence, leaseMs).then(
        (renewed) => {
          if (renewed) held.until = at + usable;
          else held.lost = true;
        },
        (error: unknown) => deps.logger.warn(`could not renew the run's lock`, { flow, error: (error as Error).message }),
      );
    }, leaseMs / 3);
    held.renewal.unref();
    return held;
  }

  /** Before each call that writes to the target: a run whose lease has lapsed or passed on writes nothing. */
  assert(): void {
    if (this.lost || this.now().getTime() > this.until) {
      this.lost = true;
      throw new StaleLockError(this.flow);
    }
  }

  async release(): Promise<void> {
    clearInterval(this.renewal);
    await this.ledger.releaseLock(this.lease.lock, this.owner);
  }
}
