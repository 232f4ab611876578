/**
 * The promises every connector keeps, checked against its emulator: a fifth connector passes this suite
 * or is not done. Each connector's `conformance.test.ts` hands in a fixture (which entity, what a valid
 * and a refused payload look like, which credentials the service refuses) and the suite does the rest,
 * through the connector's declaration only, as the engine would:
 *
 * - a read from `since` yields what changed since and nothing older, in updated-time order when the
 *   entity says so; `get` fetches by id;
 * - `write` answers one result per item, in order, a refused item failing alone;
 * - a write whose answer was lost, sent again, creates nothing twice, and `find` locates what it made;
 *   where the service keeps idempotency keys, the same key sent again without looking creates nothing;
 * - the error ladder: 429 and 5xx transient, refused credentials auth, a refused record permanent;
 * - a request never answered fails transiently within `timeout_ms` and leaves no socket open;
 * - a burst of writes at the service's own limit draws under 1% of 429s;
 * - a webhook the emulator signed verifies, a tampered, mis-keyed or replayed one does not, and it names
 *   the changed record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../connectors/registry.js';
import { NO_FAULTS } from '../../emulators/core/faults.js';
import { type RunningEmulator, type Service, startEmulators } from '../../emulators/index.js';
import type { ConnectorDeclaration, EntityDeclaration, JsonObject, WebhookRequest, WriteItem, WriteResult } from '../../src/connector/types.js';
import { AuthError, PermanentError, TransientError } from '../../src/errors.js';
import { type Delivery, startReceiver } from './webhook-receiver.js';

export interface ConformanceFixture {
  service: Service;
  /** The entity read, fetched and written. */
  entity: string;
  /** A payload the service takes, told apart from others by `tag`. */
  payload(tag: string): JsonObject;
  /** The tag of the payload a record was written from, read back from the record. */
  tagOf(record: JsonObject): string | undefined;
  /** A payload the service refuses: a permanent failure of that item alone. */
  refused: JsonObject;
  /** Connection options the service does not accept as credentials. */
  wrongCredentials: Record<string, string>;
  /** The service itself answers a resent idempotency key with the first write (Stripe's keys, QuickBooks' requestid, HubSpot's upsert). */
  keepsIdempotencyKeys: boolean;
  /** Writes sent at once in the burst. */
  burst: number;
}

const TIMEOUT_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const openSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

/** A delivery the receiver recorded, as the daemon hands it to a connector. */
const asRequest = (url: string, delivery: Delivery): WebhookRequest => ({
  method: 'POST',
  url,
  headers: Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])),
  rawBody: Buffer.from(delivery.body, 'utf8'),
});

export function connectorConformance(fixture: ConformanceFixture): void {
  const { service } = fixture;
  describe(`${service}: the connector conformance suite`, () => {
    let emulator: RunningEmulator;
    let connector: ConnectorDeclaration;
    let entity: EntityDeclaration<unknown>;
    let client: unknown;
    const run = `${Date.now().toString(36)}`;
    let serial = 0;
    // No `match`: what keeps a write from landing twice is the connector's own doing, not a field the flow names.
    const item = (tag = `${run}-${serial++}`, extra: Partial<WriteItem> = {}): WriteItem => ({ sourceId: tag, idempotencyKey: `conformance-${tag}`, payload: fixture.payload(tag), ...extra });
    const open = (options: Record<string, unknown> = {}) => connector.open({ name: service, connector: service, baseUrl: emulator.url, options: { ...emulator.credentials, ...options } }, {});
    const faults = (plan: Partial<typeof NO_FAULTS>) => emulator.server.inject('PUT', '/__admin/faults', { ...NO_FAULTS, ...plan });
    const written = (result: WriteResult | undefined): string => {
      if (!result?.ok) throw new Error(`the write failed: ${result && !result.ok ? result.error.message : 'no result'}`);
      return result.targetId;
    };
    const readAll = async (since?: Date) => {
      const out: JsonObject[] = [];
      for await (const page of entity.read!(client, { since })) out.push(...page.records);
      return out;
    };
    /** How many records in the service carry this tag (reads everything, as a person checking would). */
    const copies = async (tag: string) => (await readAll()).filter((r) => fixture.tagOf(r) === tag).length;

    beforeAll(async () => {
      [emulator] = await startEmulators([service], { ports: { [service]: 0 }, seed: 3 });
      connector = registry.get(service)!;
      entity = connector.entities[fixture.entity] as EntityDeclaration<unknown>;
      client = await open();
    });
    afterAll(async () => {
      await connector?.close?.(client);
      await emulator?.close();
    });

    it('declares what the suite needs: read, get, write and find on the entity, and webhooks', () => {
      for (const capability of ['read', 'get', 'write', 'find'] as const) expect(entity[capability], `${fixture.entity}.${capability}`).toBeTypeOf('function');
      expect(connector.webhook).toBeDefined();
      expect(entity.key).toBeTypeOf('function');
    });

    it('reads from `since` what changed since and nothing older, in time order when the entity says so; gets by id', { timeout: 30_000 }, async () => {
      const older = [item(), item()];
      for (const one of older) written((await entity.write!(client, [one]))[0]);
      await sleep(1_100);
      const since = new Date();
      await sleep(1_100);
      const newer = [item(), item()];
      const newerIds = [];
      for (const one of newer) newerIds.push(written((await entity.write!(client, [one]))[0]));

      const changed = await readAll(since);
      const tags = changed.map(fixture.tagOf);
      for (const one of newer) expect(tags, `a record written after since (${one.sourceId})`).toContain(one.sourceId);
      for (const one of older) expect(tags, `a record written before since (${one.sourceId})`).not.toContain(one.sourceId);
      const stamps = changed.map((r) => entity.updatedAt?.(r)).filter((s): s is string => s !== undefined).map(Date.parse);
      for (const stamp of stamps) expect(stamp).toBeGreaterThanOrEqual(Math.floor(since.getTime() / 1000) * 1000);
      if (entity.orderedByUpdatedAt) expect(stamps).toEqual([...stamps].sort((a, b) => a - b));

      const fetched = await entity.get!(client, newerIds);
      expect(fetched.map((r) => entity.key(r)).sort()).toEqual([...newerIds].sort());
      expect(fetched.map(fixture.tagOf).sort()).toEqual(newer.map((n) => n.sourceId).sort());
    });

    it('answers one result per item, in order: a refused item fails alone, permanently', async () => {
      const items = [item(), item(undefined, { payload: fixture.refused }), item()];
      // A service without batches takes one item per call, as the engine sends them.
      const results = (entity.batchSize ?? 1) >= items.length ? await entity.write!(client, items) : (await Promise.all(items.map((one) => entity.write!(client, [one])))).flat();
      expect(results).toHaveLength(3);
      expect(results.map((r) => r.ok)).toEqual([true, false, true]);
      expect((results[1] as { error: unknown }).error).toBeInstanceOf(PermanentError);
      const records = await entity.get!(client, [written(results[0]), written(results[2])]);
      const byId = new Map(records.map((r) => [entity.key(r), fixture.tagOf(r)]));
      expect([byId.get(written(results[0])), byId.get(written(results[2]))]).toEqual([items[0]!.sourceId, items[2]!.sourceId]);
    });

    it('creates nothing twice when a write whose answer was lost is sent again, and finds what it made', { timeout: 60_000 }, async () => {
      // One request in two is carried out and its answer lost (the emulator's seeded dice): the case is a
      // write that failed although its work was done, whichever of its requests lost the answer.
      let lost: WriteItem | undefined;
      for (let attempt = 0; attempt < 30 && !lost; attempt++) {
        const one = item();
        await faults({ lost: 0.5 });
        const answer = await entity.write!(client, [one]).then((r) => r[0], (error: unknown) => ({ ok: false as const, error: error as TransientError }));
        await faults({});
        if (!answer?.ok && (await copies(one.sourceId)) === 1) lost = one;
      }
      expect(lost, 'a write that failed after its work was done').toBeDefined();
      const again = await entity.write!(client, [{ ...lost!, retry: true }]);
      const id = written(again[0]);
      expect(await copies(lost!.sourceId)).toBe(1);
      expect(await entity.find!(client, lost!)).toBe(id);
      // A write that did land, sent again after a crash before the ledger heard of it: the same record.
      const replay = await entity.write!(client, [{ ...lost!, retry: true }]);
      expect(written(replay[0])).toBe(id);
      expect(await copies(lost!.sourceId)).toBe(1);
    });

    // Only where the vendor keeps keys: elsewhere a write looks first, which the test above holds it to.
    if (fixture.keepsIdempotencyKeys) {
      it('a key sent again without looking first is answered with the first write', async () => {
        const once = item();
        const id = written((await entity.write!(client, [once]))[0]);
        expect(written((await entity.write!(client, [once]))[0])).toBe(id);
        expect(await copies(once.sourceId)).toBe(1);
      });
    }

    it('classes answers: 429 and 5xx transient, refused credentials auth', { timeout: 60_000 }, async () => {
      const firstPage = (c: unknown) => entity.read!(c, {})[Symbol.asyncIterator]().next().then(() => undefined, (e: unknown) => e);
      const fresh = await open();
      try {
        await faults({ rateLimited: 1 });
        expect(await firstPage(fresh)).toBeInstanceOf(TransientError);
        await faults({ serverError: 1 });
        expect(await firstPage(fresh)).toBeInstanceOf(TransientError);
      } finally {
        await faults({});
        await connector.close?.(fresh);
      }
      const refused = await Promise.resolve(open(fixture.wrongCredentials)).then(firstPage, (e: unknown) => e);
      expect(refused).toBeInstanceOf(AuthError);
    });

    it('gives up on a request never answered within timeout_ms, as transient, and closes its socket', async () => {
      const impatient = await open({ timeout_ms: TIMEOUT_MS });
      await faults({ timeout: 1 });
      try {
        const before = openSockets();
        const started = Date.now();
        const error = await entity.read!(impatient, {})[Symbol.asyncIterator]().next().then(() => undefined, (e: unknown) => e);
        const waited = Date.now() - started;
        expect(error).toBeInstanceOf(TransientError);
        expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(waited).toBeLessThan(TIMEOUT_MS + 2_000);
        // Sockets are closed on the next turns of the event loop.
        await sleep(100);
        expect(openSockets(), 'sockets left open by the abandoned request').toBeLessThanOrEqual(before);
      } finally {
        await faults({});
        await connector.close?.(impatient);
      }
    });

    it(`keeps a burst of ${fixture.burst} writes at the service's own limit under 1% of 429s`, { timeout: 120_000 }, async () => {
      const size = entity.batchSize ?? 1;
      const items = Array.from({ length: fixture.burst }, () => item());
      const batches: WriteItem[][] = [];
      for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
      const from = emulator.server.log.length;
      let ok = 0;
      const worker = async () => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) {
          const results = await entity.write!(client, batch);
          ok += results.filter((r) => r.ok).length;
        }
      };
      await Promise.all(Array.from({ length: entity.concurrency ?? 1 }, worker));
      expect(ok).toBe(fixture.burst);
      const answered = emulator.server.log.slice(from).filter((e) => e.status !== null);
      expect(answered.filter((e) => e.status === 429).length / answered.length).toBeLessThan(0.01);
    });

    it('verifies the webhooks the service signs, refuses a tampered one, and parses the changed record from it', async () => {
      const inbox = await startReceiver('/hooks/conformance');
      try {
        emulator.subscribeWebhooks(inbox.url);
        const id = written((await entity.write!(client, [item()]))[0]);
        const naming = () => inbox.received.map((d) => asRequest(inbox.url, d)).find((r) => connector.webhook!.parse(r).some((e) => e.ids.includes(id)));
        for (let waited = 0; !naming() && waited < 5_000; waited += 50) await sleep(50);
        const delivery = naming();
        expect(delivery, `a delivery naming ${id}`).toBeDefined();
        const secret = String(emulator.credentials.webhook_secret);
        const verify = (request: WebhookRequest, key: string, at: Date) => Promise.resolve(connector.webhook!.verify(request, key, at));
        expect(await verify(delivery!, secret, new Date())).toEqual({ ok: true });
        const tampered = { ...delivery!, rawBody: Buffer.from(delivery!.rawBody.toString('utf8').replace(id, `${id}9`)) };
        expect(await verify(tampered, secret, new Date())).toMatchObject({ ok: false, status: 401 });
        expect(await verify(delivery!, `${secret}x`, new Date())).toMatchObject({ ok: false, status: 401 });
        // The same delivery three days on is a replay: every vendor's window is shorter.
        expect(await verify(delivery!, secret, new Date(Date.now() + 3 * 86_400_000))).toMatchObject({ ok: false, status: 400 });
        const [event] = connector.webhook!.parse(delivery!).filter((e) => e.ids.includes(id));
        expect(event!.entity).toBe(fixture.entity);
      } finally {
        await inbox.close();
      }
    });
  });
}
