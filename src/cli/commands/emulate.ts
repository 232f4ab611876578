import { parseFaults } from '../../../emulators/core/faults.js';
import { DEFAULT_PORTS, SERVICES, type Service, startEmulators } from '../../../emulators/index.js';
import { DATA_SIZES, type DataSize } from '../../../emulators/seed.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export interface EmulateOptions {
  seed?: string;
  faults?: string;
  port?: string;
  dataSize?: string;
  state?: string;
  /** Base URL of a Ferry daemon: each emulator sends its webhooks to `<url>/webhooks/<service>`. */
  webhooks?: string;
  /** Resolves when the emulators should stop; the CLI passes a promise settled by SIGINT/SIGTERM. */
  until: Promise<void>;
}

/** `ferry emulate [SERVICE...]`: local, stateful emulators of the vendors' APIs on 127.0.0.1. */
export async function emulateCommand(io: CliIo, names: string[], options: EmulateOptions): Promise<ExitCode> {
  const unknown = names.filter((n) => !SERVICES.includes(n as Service));
  if (unknown.length) {
    io.err(`unknown service ${unknown.join(', ')} (services: ${SERVICES.join(', ')})`);
    return EXIT.usage;
  }
  const services = (names.length ? names : [...SERVICES]) as Service[];
  let faults;
  try {
    faults = parseFaults(options.faults);
  } catch (error) {
    io.err(`--faults: ${(error as Error).message}`);
    return EXIT.usage;
  }
  if (options.dataSize && !(DATA_SIZES as string[]).includes(options.dataSize)) {
    io.err(`--data-size must be one of ${DATA_SIZES.join(', ')}`);
    return EXIT.usage;
  }
  const first = options.port ? Number(options.port) : undefined;
  // --port moves the first service's port and the others follow in order; --port 0 picks free ports.
  const ports = Object.fromEntries(SERVICES.map((s, i) => [s, first === undefined ? DEFAULT_PORTS[s] : first === 0 ? 0 : first + i])) as Record<Service, number>;
  const running = await startEmulators(services, { seed: options.seed ? Number(options.seed) : 1, faults, ports, dataSize: options.dataSize as DataSize | undefined, stateDir: options.state });
  for (const emulator of running) {
    if (options.webhooks) emulator.subscribeWebhooks(`${options.webhooks.replace(/\/$/, '')}/webhooks/${emulator.service}`);
    const credentials = Object.entries(emulator.credentials).map(([k, v]) => `${k}=${v}`).join(' ');
    io.out(`${emulator.service.padEnd(10)} ${emulator.url}  ${credentials}`);
  }
  if (options.webhooks) io.out(`Webhooks go to ${options.webhooks}/webhooks/<service>.`);
  io.out('Serving until interrupted (Ctrl-C).');
  await options.until;
  await Promise.all(running.map((e) => e.close()));
  return EXIT.ok;
}
