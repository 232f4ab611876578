/**
 * A Ferry project pointed at in-process emulators, as the end-to-end and reliability tests use it: the
 * shipped flows, a config file naming each emulator with its credentials, and `ferry` run in process.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type RunningEmulator, type Service, type StartOptions, startEmulators } from '../../emulators/index.js';
import { bufferIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { registry } from '../../connectors/registry.js';
import { tempDir } from './harness.js';

export interface EmulatedProject {
  running: RunningEmulator[];
  cwd: string;
  emulator(service: Service): RunningEmulator;
  /** `ferry --config ferry.yaml --quiet ARGS...` in the project. */
  ferry(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  close(): Promise<void>;
}

export async function emulatedProject(services: Service[], options: StartOptions, connectionOptions: Record<string, string> = {}): Promise<EmulatedProject> {
  const running = await startEmulators(services, { ports: Object.fromEntries(services.map((s) => [s, 0])), ...options });
  const cwd = tempDir('ferry-project-');
  const connections = Object.fromEntries(running.map((e) => [e.service, { connector: e.service, base_url: e.url, ...connectionOptions, ...e.credentials }]));
  writeFileSync(join(cwd, 'ferry.yaml'), JSON.stringify({ flows: shippedFlowsFor(services), ledger: 'ledger.db', secrets_file: 'secrets.json', connections }));
  return {
    running,
    cwd,
    emulator: (service) => running.find((e) => e.service === service)!,
    async ferry(...args) {
      const io = bufferIo();
      const code = await main(['node', 'ferry', '--config', 'ferry.yaml', '--quiet', ...args], { io, cwd, registry });
      return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
    },
    close: async () => void (await Promise.all(running.map((e) => e.close()))),
  };
}

/**
 * A copy of the shipped flows that only use these services (and only depend on such flows): a test that
 * starts Shopify and QuickBooks runs `--all` over the flows it can run.
 */
export function shippedFlowsFor(services: Service[]): string {
  const source = resolve(import.meta.dirname, '../../flows');
  const flows = new Map<string, { text: string; dependsOn: string[] }>();
  for (const file of readdirSync(source).filter((f) => f.endsWith('.yaml'))) {
    const text = readFileSync(join(source, file), 'utf8');
    const connectors = [...text.matchAll(/^\s*(?:source|target):\s*\{?\s*connector:\s*(\w+)|^\s+connector:\s*(\w+)/gm)].map((m) => (m[1] ?? m[2]) as Service);
    const dependsOn = /^depends_on:\s*\[([^\]]*)\]/m.exec(text)?.[1]?.split(',').map((d) => d.trim()).filter(Boolean) ?? [];
    if (connectors.every((c) => services.includes(c))) flows.set(file, { text, dependsOn });
  }
  const names = () => new Set([...flows.keys()].map((f) => f.replace(/\.yaml$/, '')));
  for (let dropped = true; dropped; ) {
    dropped = false;
    for (const [file, flow] of flows) if (!flow.dependsOn.every((d) => names().has(d))) dropped = flows.delete(file);
  }
  const dir = tempDir('ferry-flows-');
  for (const [file, flow] of flows) writeFileSync(join(dir, file), flow.text);
  return dir;
}

/** Every `entity` the QuickBooks emulator holds (up to 1,000), read through its query endpoint. */
export async function quickBooksQuery(quickbooks: RunningEmulator, entity: string): Promise<Record<string, unknown>[]> {
  const query = encodeURIComponent(`select * from ${entity} MAXRESULTS 1000`);
  const body = (await quickbooks.server.inject('GET', `/v3/company/${quickbooks.credentials.realm_id}/query?query=${query}`)).body as { QueryResponse: Record<string, Record<string, unknown>[]> };
  return body.QueryResponse[entity] ?? [];
}
