import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { registry } from '../../connectors/registry.js';
import { progressFor, PROGRESS_LINE_INTERVAL_MS } from '../../src/cli/progress.js';
import { announceWait } from '../../src/connector/waits.js';
import { emptyCounts } from '../../src/ledger/ledger.js';
import { type EmulatedProject, emulatedProject } from '../support/emulated-project.js';

describe('progress where no one watches a terminal', () => {
  it('prints one structured line every few seconds while records move, and one as a notable wait begins', () => {
    const io = bufferIo();
    let clock = 1_000_000;
    const progress = progressFor(io, 'orders', () => clock);
    progress.update(100, { ...emptyCounts(), created: 90, dead: 10 }, 400);
    expect(io.stderr).toEqual([]);
    clock += PROGRESS_LINE_INTERVAL_MS;
    progress.update(200, { ...emptyCounts(), created: 180, dead: 20 }, 400);
    expect(io.stderr).toEqual(['progress flow=orders processed=200 total=400 rate=40.0/s created=180 updated=0 unchanged=0 held=0 failed=20']);
    // A wait a service's budget imposes, announced by a connector, is news at once; pacing shorter than half a second is not.
    announceWait("QuickBooks' limit of 40 batches a minute", 200);
    expect(io.stderr).toHaveLength(1);
    announceWait("QuickBooks' limit of 40 batches a minute", 14_000);
    expect(io.stderr[1]).toMatch(/ wait="waiting 14 s for QuickBooks' limit of 40 batches a minute"$/);
    progress.wait('retry 2 of 4 after 503', 3_000);
    expect(io.stderr[2]).toMatch(/ wait="retry 2 of 4 after 503, in 3 s"$/);
    progress.stop();
    announceWait("QuickBooks' limit of 40 batches a minute", 14_000);
    expect(io.stderr).toHaveLength(3);
  });
});

describe('progress of a real run, not on a terminal', () => {
  let project: EmulatedProject;
  beforeAll(async () => {
    // One request a second: a run of a few dozen customers waits for QuickBooks' budget.
    project = await emulatedProject(['stripe', 'quickbooks'], { seed: 5, dataSize: 'small' }, { requests_per_second: '1' });
  }, 60_000);
  afterAll(() => project?.close());

  it('says which rate limit a run is waiting for', { timeout: 120_000 }, async () => {
    const io = bufferIo();
    const code = await main(['node', 'ferry', '--config', 'ferry.yaml', 'run', 'stripe-customers-to-quickbooks-customers'], { io, cwd: project.cwd, registry });
    expect(code).toBe(0);
    const waits = io.stderr.filter((l) => l.startsWith('progress flow=stripe-customers-to-quickbooks-customers ') && / wait="waiting \d+ s for (QuickBooks' limit|Stripe's limit) of 1 requests a second"/.test(l));
    expect(waits.length).toBeGreaterThan(0);
  });
});
