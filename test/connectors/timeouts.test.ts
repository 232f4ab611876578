/**
 * Every wait has an end: a request a service never answers is given up on within the connection's
 * `timeout_ms`, as a transient error, and its socket is closed, so nothing keeps the process alive after
 * the run has ended. Each connector against its emulator told to answer nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../../connectors/registry.js';
import { NO_FAULTS } from '../../emulators/core/faults.js';
import { type RunningEmulator, type Service, startEmulators } from '../../emulators/index.js';
import { TransientError } from '../../src/errors.js';

const ENTITY: Record<Service, string> = { shopify: 'customers', hubspot: 'companies', stripe: 'customers', quickbooks: 'customers' };
const TIMEOUT_MS = 300;
let running: RunningEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.map((e) => e.close()));
  running = [];
});

const openSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

describe.each(Object.keys(ENTITY) as Service[])('%s: a request that is never answered', (service) => {
  it(`fails transiently within timeout_ms and closes its socket`, async () => {
    running = await startEmulators([service], { ports: { [service]: 0 } });
    const [emulator] = running;
    await emulator!.server.inject('PUT', '/__admin/faults', { ...NO_FAULTS, timeout: 1 });
    const connector = registry.get(service)!;
    const client = await connector.open({ name: service, connector: service, baseUrl: emulator!.url, options: { ...emulator!.credentials, timeout_ms: TIMEOUT_MS } }, {});
    const before = openSockets();
    const started = Date.now();
    const read = connector.entities[ENTITY[service]]!.read!(client, {})[Symbol.asyncIterator]().next();
    const error = await read.then(() => undefined, (e: unknown) => e);
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(TransientError);
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(TIMEOUT_MS + 2_000);
    // Sockets are closed on the next turns of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(openSockets(), 'sockets left open by the abandoned request').toBeLessThanOrEqual(before);
    await connector.close?.(client);
  });
});
