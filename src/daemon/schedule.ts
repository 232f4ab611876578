/**
 * A flow's cron schedule, in the flow's time zone (node-cron). node-cron computes each slot as an
 * instant from wall-clock fields, so a daylight-saving change neither repeats a slot (the hour that
 * comes twice in autumn) nor makes one up (the hour skipped in spring). Each slot is claimed in the
 * ledger before it runs: however many daemons share the ledger, the slot runs in one of them.
 */
import cron, { type RunCoordinator, type ScheduledTask } from 'node-cron';
import type { Flow } from '../flow/types.js';
import type { Coordination } from '../ledger/ledger.js';
import type { Logger } from '../log.js';

/** Claims older than this are forgotten; a slot is only ever contested in the seconds around it. */
const FORGET_SLOTS_MS = 7 * 86_400_000;

export function ledgerSlots(ledger: Coordination, owner: string, now: () => Date = () => new Date()): RunCoordinator {
  return { shouldRun: (slotKey) => ledger.claimSlot(slotKey, owner, new Date(now().getTime() - FORGET_SLOTS_MS)) };
}

export function scheduleFlow(flow: Flow, schedule: string, tick: () => Promise<unknown>, slots: RunCoordinator, logger: Logger): ScheduledTask {
  const task = cron.schedule(schedule, () => tick(), { name: flow.name, timezone: flow.run.timezone, distributed: true, runCoordinator: slots });
  task.on('execution:skipped', (context) => {
    const why = context.reason === 'not-elected' ? 'another daemon has this slot' : 'the ledger could not be asked for the slot';
    logger.info(`scheduled run skipped: ${why}`, { flow: flow.name, slot: context.date.toISOString() });
  });
  return task;
}
