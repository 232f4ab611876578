/**
 * Scheduled slots, on a fake clock: two daemons sharing one ledger schedule the same flow every half
 * hour in New York across both daylight-saving changes of 2026. Every wall-clock slot runs exactly
 * once, in one daemon or the other; the hour that does not exist in March does not run, and the hour
 * that happens twice in November runs once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ledgerSlots, scheduleFlow } from '../../src/daemon/schedule.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { silentLogger } from '../../src/log.js';
import { CUSTOMERS_FLOW, flowFrom } from '../support/harness.js';

const zone = 'America/New_York';
const wallClock = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });

afterEach(() => void vi.useRealTimers());

/** The wall-clock times at which either daemon ran the flow. */
async function slotsRun(from: string, hours: number): Promise<string[]> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(new Date(from));
  const flow = flowFrom(`${CUSTOMERS_FLOW}\nrun: { schedule: "*/30 * * * *", timezone: ${zone} }\n`);
  const ledger = new SqliteLedger(':memory:', { now: () => new Date() });
  const runs: string[] = [];
  const tasks = ['a', 'b'].map((daemon) =>
    scheduleFlow(flow, flow.run.schedule!, async () => void runs.push(wallClock.format(new Date())), ledgerSlots(ledger, daemon), silentLogger),
  );
  await vi.advanceTimersByTimeAsync(hours * 3_600_000);
  for (const task of tasks) await task.destroy();
  await ledger.close();
  return runs;
}

describe('scheduled slots', () => {
  it('spring forward: each slot once, none in the hour that does not exist', async () => {
    const runs = await slotsRun('2026-03-08T05:00:00Z', 4);
    expect(runs).toEqual(['00:30 EST', '01:00 EST', '01:30 EST', '03:00 EDT', '03:30 EDT', '04:00 EDT', '04:30 EDT', '05:00 EDT']);
  });

  it('fall back: each slot once, the repeated hour once', async () => {
    const runs = await slotsRun('2026-11-01T03:00:00Z', 5);
    expect(runs).toEqual(['23:30 EDT', '00:00 EDT', '00:30 EDT', '01:00 EDT', '01:30 EDT', '02:00 EST', '02:30 EST', '03:00 EST']);
  });
});
