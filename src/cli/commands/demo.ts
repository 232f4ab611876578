import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { addSalesActivity, addShopifyActivity } from '../../../emulators/activity.js';
import { type RunningEmulator, SERVICES, startEmulators } from '../../../emulators/index.js';
import type { DataSize } from '../../../emulators/seed.js';
import type { ConnectionSettings } from '../../connector/types.js';
import { dependencyOrder } from '../../flow/load.js';
import { writeOwnerOnlyFile } from '../../owner-only.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import { recordPresenter } from '../../report/present.js';
import { buildSyncInfo } from '../../report/sync-info.js';
import { renderHtml } from '../../report/render-html.js';
import { renderTerminal } from '../../report/render-terminal.js';
import type { App } from '../app.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { executeRuns } from './run.js';

/**
 * `ferry demo`: the four emulators in-process with a seeded business, every shipped flow in dependency
 * order, then the sync-info summary. The emulators keep their state under .ferry/ beside the ledger, so a
 * second demo continues the same business (and, with nothing new, writes nothing); `--reset` starts over.
 */
export async function demoCommand(app: App, io: CliIo, options: { reset?: boolean; seed?: string; dataSize?: string; activity?: string }): Promise<ExitCode> {
  const activity = options.activity === undefined ? 0 : Number(options.activity);
  if (!Number.isInteger(activity) || activity < 0) {
    io.err(`--activity wants a whole number of new events (got '${options.activity}')`);
    return EXIT.usage;
  }
  const stateDir = demoStateDir(app);
  if (options.reset) {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(app.config.ledgerPath, { force: true });
    rmSync(`${app.config.ledgerPath}-wal`, { force: true });
    rmSync(`${app.config.ledgerPath}-shm`, { force: true });
  }
  if (!existsSync(app.config.flowsDir)) {
    // Run anywhere (an installed ferry in an empty folder): the example flows Ferry ships.
    app.config.flowsDir = join(PACKAGE_ROOT, 'flows');
    io.out(`No flows directory here: the demo runs Ferry's example flows (${app.config.flowsDir}).`);
  }
  const flows = dependencyOrder(app.flows());
  return withDemoEmulators(app, io, { seed: options.seed, dataSize: options.dataSize }, async (running) => {
    if (activity) {
      // A different seed each time, so a second --activity adds different business.
      const seed = Date.now() % 2_147_483_647;
      const server = (service: string) => running.find((e) => e.service === service)!.server;
      // Two thirds of the activity is the shop's, one third sales': deals won and invoices paid.
      const sales = await addSalesActivity(server('hubspot'), server('stripe'), Math.floor(activity / 3), seed);
      const shop = await addShopifyActivity(server('shopify'), activity - Math.floor(activity / 3), seed);
      io.out(`New in Shopify since the last run: ${shop.orders} order(s), ${shop.payments} payment(s) of orders on terms, ${shop.refunds} refund(s).`);
      io.out(`New in HubSpot and Stripe: ${sales.dealsWon} deal(s) won, ${sales.invoicesPaid} invoice(s) paid, ${sales.partPayments} part payment(s).\n`);
    }
    await executeRuns(app, io, flows, { trigger: 'demo', selection: { kind: 'incremental' } });
    io.out('');
    const info = await buildSyncInfo(app.ledger, flows, { present: recordPresenter(app.registry, app.config.connections) });
    io.out(renderTerminal(info, io.color));
    const report = join(app.cwd, '.ferry', 'report.html');
    writeOwnerOnlyFile(report, renderHtml(info));
    io.out(`\nThe HTML report (open it in a browser): ${report}`);
    io.out(`The ledger is ${app.config.ledgerPath}; the emulators' state is in ${stateDir}.`);
    const held = info.flows.flatMap((f) => f.failures.filter((r) => r.status === 'held').map((r) => r.resyncCommand));
    if (held.length) io.out(`\n${held.length} record(s) are held for a person by a rule (a credit check, a payment that does not fit its invoice). Release one with, e.g.:\n  bin/${held[0]}\nand run \`bin/ferry demo\` again to book it.`);
    io.out('Run `bin/ferry demo` again to continue the same business, or `bin/ferry demo --reset` to start over.');
    // The seeded business has orders held by the credit check on purpose: only failures fail the demo.
    const broken = info.flows.some((f) => f.lastRun && (f.lastRun.status === 'failed' || f.lastRun.counts.failed + f.lastRun.counts.dead > 0));
    return broken ? EXIT.recordsFailed : EXIT.ok;
  });
}

/**
 * Runs `work` with the app's connections pointed at the demo's emulators, started in-process from the
 * state under .ferry/emulators (seeded the first time). Used by `ferry demo` and by other commands'
 * `--demo` option, so `ferry reconcile --demo` reads the demo's business after the demo has ended.
 */
export async function withDemoEmulators<T>(app: App, io: CliIo, options: { seed?: string; dataSize?: string }, work: (running: RunningEmulator[]) => Promise<T>): Promise<T> {
  const stateDir = demoStateDir(app);
  // The demo's rotated tokens belong to its emulators: kept with their state, and reset with it.
  app.config.secretsFile = join(stateDir, 'secrets.json');
  const ports = Object.fromEntries(SERVICES.map((s) => [s, 0]));
  io.err('Starting the Shopify, HubSpot, Stripe and QuickBooks emulators…');
  const running = await startEmulators([...SERVICES], { seed: Number(options.seed ?? 1), dataSize: (options.dataSize ?? 'demo') as DataSize, stateDir, ports });
  try {
    app.useConnections(new Map(running.map((e): [string, ConnectionSettings] => [e.service, { name: e.service, connector: e.service, baseUrl: e.url, options: { ...e.credentials } }])));
    return await work(running);
  } finally {
    await Promise.all(running.map((e) => e.close()));
  }
}

function demoStateDir(app: App): string {
  return join(app.cwd, '.ferry', 'emulators');
}
