/**
 * Progress while a flow runs: a live line on a terminal (cli-progress), nothing until the end otherwise,
 * so logs and CI output stay readable.
 */
import cliProgress from 'cli-progress';
import type { RunCounts } from '../ledger/ledger.js';
import type { CliIo } from './io.js';

export interface Progress {
  update(processed: number, counts: RunCounts): void;
  stop(): void;
}

export function progressFor(io: CliIo, flow: string): Progress {
  if (!io.interactive || !io.errStream) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `  ${flow} | {value} records | {created} created, {updated} updated, {unchanged} unchanged, {waiting} waiting, {failed} failed, {dead} dead`,
      stream: io.errStream,
      clearOnComplete: true,
      hideCursor: true,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(processed, counts) {
      if (!started) {
        bar.start(0, 0, { ...counts });
        started = true;
      }
      bar.setTotal(processed);
      bar.update(processed, { ...counts });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
