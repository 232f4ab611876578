/** The alert hook: posted to a local receiver when a run ends with dead records or too many errors, and only then. */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { type RunAlert, sendRunAlert } from '../../src/report/alert.js';
import { formatDiagnostic } from '../../src/errors.js';
import { loadFlowFiles } from '../../src/flow/load.js';
import { CUSTOMERS_FLOW, customers, flowFrom, Harness, loadFlows, memoryRegistry } from '../support/harness.js';
import { startReceiver } from '../support/webhook-receiver.js';

const ALERTING_FLOW = `${CUSTOMERS_FLOW}
on_failure: { action: dead-letter, alert: ops, alert_error_rate: 0.1 }
`;

function capturingLogger() {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  return { logger, lines };
}

describe('run alerts', () => {
  it('posts the documented payload when a run dead-letters records, and nothing after a clean run', async () => {
    const receiver = await startReceiver('/hooks/ferry?token=s3cr3t-alert-token');
    const h = new Harness();
    const flow = flowFrom(ALERTING_FLOW);
    const { logger, lines } = capturingLogger();
    const deps = { ledger: h.ledger, logger, destinations: new Map([['ops', receiver.url]]), now: () => h.now };
    try {
      h.addSource('customers', customers(20));
      expect(await sendRunAlert(flow, await h.run(flow), deps)).toBeUndefined();
      expect(receiver.received).toHaveLength(0);

      h.addSource('customers', customers(2, 21, { balance: '-3.00', updated_at: '2026-10-05T00:00:00Z' }));
      const result = await h.run(flow);
      const sent = await sendRunAlert(flow, result, deps);
      expect(receiver.received).toHaveLength(1);
      const payload = JSON.parse(receiver.received[0]!.body) as RunAlert;
      expect(payload).toEqual(sent);
      expect(payload).toMatchObject({
        type: 'ferry.run.alert',
        flow: 'customers',
        runId: result.runId,
        status: 'partial',
        counts: { dead: 2 },
        threshold: 0.1,
        infoCommand: 'ferry info customers',
      });
      expect(payload.reasons[0]).toBe('2 record(s) dead-lettered');
      expect(payload.records.map((r) => [r.sourceId, r.reason, r.resyncCommand])).toEqual([
        ['21', 'Total: must be >= 0', 'ferry resync customers --record 21'],
        ['22', 'Total: must be >= 0', 'ferry resync customers --record 22'],
      ]);
      expect(receiver.received[0]!.headers['content-type']).toBe('application/json');
    } finally {
      await receiver.close();
    }
    // The destination URL carries a token: no log line may contain it.
    expect(JSON.stringify(lines)).not.toContain('s3cr3t-alert-token');
  });

  it('logs an undeliverable alert by name, never by URL, and does not fail the run', async () => {
    const h = new Harness();
    const flow = flowFrom(ALERTING_FLOW);
    const { logger, lines } = capturingLogger();
    h.addSource('customers', customers(1, 1, { balance: '-1.00' }));
    const result = await h.run(flow);
    const url = 'http://127.0.0.1:9/alert?token=never-log-me';
    await expect(sendRunAlert(flow, result, { ledger: h.ledger, logger, destinations: new Map([['ops', url]]) })).resolves.toMatchObject({ flow: 'customers' });
    expect(lines.find((l) => l.message === 'alert could not be delivered')?.meta).toMatchObject({ flow: 'customers', alert: 'ops' });
    expect(JSON.stringify(lines)).not.toContain('never-log-me');
  });

  it('a flow naming an alert the config does not define is a load-time mistake at its line', () => {
    const { files } = loadFlows({ 'alerting.yaml': ALERTING_FLOW });
    expect(loadFlowFiles(files, memoryRegistry(), { alerts: new Set(['ops']) }).diagnostics).toEqual([]);
    const { diagnostics } = loadFlowFiles(files, memoryRegistry(), { alerts: new Set(['pager']) });
    const line = ALERTING_FLOW.split('\n').findIndex((l) => l.startsWith('on_failure')) + 1;
    expect(diagnostics.map(formatDiagnostic)).toEqual([expect.stringMatching(new RegExp(`alerting\\.yaml:${line}:\\d+ on_failure\\.alert: no alert named 'ops' .*\\(it has: pager\\)`))]);
  });
});
