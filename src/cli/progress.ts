/**
 * Progress while a flow runs, so a quiet run says why it is quiet.
 * - On a terminal: a live bar (cli-progress) with the total when the source or the selection knows it,
 *   the rate, the counts, and the wait in progress ("waiting 14 s for QuickBooks' limit of 40 batches a
 *   minute", "retry 2 of 4 after 503").
 * - Elsewhere (cron, CI, a log collector): one structured line (logfmt) every few seconds while records
 *   move, and one as each wait of note begins, on standard error.
 */
import cliProgress from 'cli-progress';
import { onWait } from '../connector/waits.js';
import type { RunCounts } from '../ledger/ledger.js';
import type { CliIo } from './io.js';

export interface Progress {
  update(processed: number, counts: RunCounts, total?: number): void;
  /** The run is about to wait: for a service's budget, or to try again. */
  wait(what: string, ms: number): void;
  stop(): void;
}

/** How often a non-terminal run prints a line while records move. */
export const PROGRESS_LINE_INTERVAL_MS = 5_000;
/** Shorter waits are pacing, not news. */
const NOTABLE_WAIT_MS = 500;

interface State {
  processed: number;
  total?: number;
  counts?: RunCounts;
  wait?: { what: string; until: number };
}

export const NO_PROGRESS: Progress = { update() {}, wait() {}, stop() {} };

export function progressFor(io: CliIo, flow: string, now: () => number = Date.now): Progress {
  const started = now();
  const state: State = { processed: 0 };
  const rate = () => state.processed / Math.max(0.001, (now() - started) / 1000);
  const waitText = () => {
    if (!state.wait || state.wait.until <= now()) return '';
    const seconds = Math.ceil((state.wait.until - now()) / 1000);
    return state.wait.what.startsWith('retry') ? `${state.wait.what}, in ${seconds} s` : `waiting ${seconds} s for ${state.wait.what}`;
  };
  const view = io.interactive && io.errStream ? terminalBar(io.errStream, flow, state, rate, waitText) : logLines(io, flow, state, rate, waitText, now);
  const stopHearing = onWait(({ what, ms }) => progress.wait(what, ms));
  const progress: Progress = {
    update(processed, counts, total) {
      Object.assign(state, { processed, counts, total });
      view.changed();
    },
    wait(what, ms) {
      if (ms < NOTABLE_WAIT_MS) return;
      state.wait = { what, until: now() + ms };
      view.waiting();
    },
    stop() {
      stopHearing();
      view.stop();
    },
  };
  return progress;
}

interface View {
  changed(): void;
  waiting(): void;
  stop(): void;
}

function countsText(counts: RunCounts | undefined): string {
  const c = counts;
  return c ? `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.waiting + c.held} need a person, ${c.failed + c.dead} failed` : 'starting';
}

function terminalBar(stream: NodeJS.WritableStream, flow: string, state: State, rate: () => number, waitText: () => string): View {
  const bar = new cliProgress.SingleBar(
    {
      format: (options, params) => {
        const done = state.total ? `${cliProgress.Format.BarFormat(params.progress, options)} ${state.processed}/${state.total}` : `${state.processed} records`;
        const wait = waitText();
        return `  ${flow} ${done} | ${rate().toFixed(1)}/s | ${countsText(state.counts)}${wait ? ` | ${wait}` : ''}`;
      },
      stream,
      clearOnComplete: true,
      hideCursor: true,
      // Redrawn even when no record moved, so a wait counts down.
      forceRedraw: true,
      fps: 4,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0);
  const draw = () => {
    bar.setTotal(Math.max(1, state.total ?? state.processed));
    bar.update(state.processed);
  };
  return { changed: draw, waiting: draw, stop: () => bar.stop() };
}

function logLines(io: CliIo, flow: string, state: State, rate: () => number, waitText: () => string, now: () => number): View {
  let lastLine = now();
  let printedProcessed = -1;
  const line = () => {
    lastLine = now();
    printedProcessed = state.processed;
    const c = state.counts;
    const fields: [string, unknown][] = [
      ['flow', flow],
      ['processed', state.processed],
      ['total', state.total],
      ['rate', `${rate().toFixed(1)}/s`],
      ...(c ? ([['created', c.created], ['updated', c.updated], ['unchanged', c.unchanged], ['held', c.held + c.waiting], ['failed', c.failed + c.dead]] as [string, unknown][]) : []),
      ['wait', waitText() || undefined],
    ];
    io.err(`progress ${fields.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ')}`);
  };
  const timer = setInterval(() => {
    if (state.processed !== printedProcessed || waitText()) line();
  }, PROGRESS_LINE_INTERVAL_MS);
  timer.unref();
  return {
    changed: () => {
      if (now() - lastLine >= PROGRESS_LINE_INTERVAL_MS) line();
    },
    waiting: line,
    stop: () => clearInterval(timer),
  };
}

function logfmtValue(value: unknown): string {
  const text = String(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}
