/**
 * The ledger in PostgreSQL (node-postgres), for deployments past one machine: several daemons on
 * several hosts share one ledger, and through it their run locks, schedule slots and webhook
 * de-duplication, exactly as processes on one host share a SQLite file.
 *
 * Transactions hold one pooled connection from BEGIN to COMMIT and never span a call to a service. A
 * fenced run's writes read its lock's row `FOR SHARE` inside the transaction, while taking a lock
 * updates that row: a write and a change of holder are therefore ordered, and a write under a lock that
 * has passed on is refused (StaleLockError), as in SQLite.
 *
 * Reservations are kept as in the SQLite ledger: a page's writes in write-intent rows of a hundred,
 * turned into `pending` rows when the run ends, or when the flow's next run starts after a crash.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { JsonObject, SharedBudget } from '../connector/types.js';
import { StaleLockError } from '../errors.js';
import type { Lease, Ledger, LedgerEvent, PendingWrite, RecordDigest, RecordError, RecordQuery, RecordState, RecordStatus, RunCounts, RunRecord, RunStatus, RunTrigger, Settlement } from './ledger.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';
import { Reservations } from './reservations.js';
import { eventDetail, type IntentRow, SETTLE_UPDATE, type ReservedWrite, reservedJson, type Row, toDigest, toEvent, toLink, toRun, toState, WRITES_PER_INTENT } from './rows.js';

type Db = pg.Pool | pg.PoolClient;
type Value = string | number | null | readonly string[];

/** node-postgres, loaded when a PostgreSQL ledger is opened: a SQLite install never pays for it. */
const loadPg = (): typeof pg => createRequire(import.meta.url)('pg') as typeof pg;

const DIGEST_COLUMNS = 'source_id, status, target_id, source_hash, output_hash, flow_version, attempts, failed_runs, status_since, reason, error_message, approved_hash';
/** Takes the migration lock of a ledger database, so two processes starting at once migrate it once. */
const MIGRATION_LOCK = 7_401_771;

export interface PostgresLedgerOptions {
  now?: () => Date;
  /** Connections held open at most (default 10). */
  poolSize?: number;
}

export class PostgresLedger implements Ledger {
  private readonly pool: pg.Pool;
  private readonly now: () => Date;
  private readonly ready: Promise<void>;
  private readonly reservations = new Reservations();

  constructor(readonly url: string, options: PostgresLedgerOptions = {}) {
    this.now = options.now ?? (() => new Date());
    const driver = loadPg();
    // BIGINT and BIGSERIAL columns read as numbers: ids, fences and times in milliseconds stay far below 2^53.
    const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : driver.types.getTypeParser(oid, format as 'text')) } as pg.CustomTypesConfig;
    this.pool = new driver.Pool({ connectionString: url, max: options.poolSize ?? 10, types });
    // An idle connection the server dropped is not an error of any query: the pool makes another.
    this.pool.on('error', () => undefined);
    this.ready = this.migrate();
    this.ready.catch(() => undefined);
  }

  private async migrate(): Promise<void> {
    await this.transaction(async (db) => {
      await db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await db.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const applied = new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      const newest = Math.max(0, ...applied);
      const known = Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version));
      if (newest > known) throw new Error(`the ledger was written by a newer Ferry (schema ${newest}, this one knows ${known}); upgrade Ferry`);
      for (const migration of POSTGRES_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await db.query(migration.sql);
        await db.query('INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.description, new Date().toISOString()]);
      }
    }, false);
  }

  private async query(sql: string, values: Value[] = [], db: Db = this.pool): Promise<Row[]> {
    if (db === this.pool) await this.ready;
    return (await db.query<Row>(sql, values as unknown[])).rows;
  }

  private async transaction<T>(work: (db: pg.PoolClient) => Promise<T>, afterMigration = true): Promise<T> {
    if (afterMigration) await this.ready;
    const db = await this.pool.connect();
    try {
      await db.query('BEGIN');
      const result = await work(db);
      await db.query('COMMIT');
      return result;
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      db.release();
    }
  }

  async getDigests(flow: string, sourceIds: string[]): Promise<Map<string, RecordDigest>> {
    const rows = await this.query(`SELECT ${DIGEST_COLUMNS} FROM records WHERE flow = $1 AND source_id = ANY($2)`, [flow, sourceIds ]);
    return new Map(rows.map((row) => [String(row.source_id), toDigest(row)]));
  }

  async getRecords(flow: string, sourceIds: string[]): Promise<RecordState[]> {
    return (await this.query('SELECT * FROM records WHERE flow = $1 AND source_id = ANY($2)', [flow, sourceIds ])).map(toState);
  }

  async listRecords(flow: string, query: RecordQuery = {}): Promise<RecordState[]> {
    const where = ['flow = $1'];
    const values: Value[] = [flow];
    if (query.statuses?.length) {
      values.push(query.statuses);
      where.push(`status = ANY($${values.length})`);
    }
    if (query.since) {
      values.push(query.since.toISOString());
      where.push(`status_since >= $${values.length}`);
    }
    if (query.until) {
      values.push(query.until.toISOString());
      where.push(`status_since < $${values.length}`);
    }
    const limit = query.limit ? ` LIMIT ${Math.floor(query.limit)}` : '';
    return (await this.query(`SELECT * FROM records WHERE ${where.join(' AND ')} ORDER BY status_since, source_id${limit}`, values)).map(toState);
  }

  async countByStatus(flow: string): Promise<Record<RecordStatus, number>> {
    const counts: Record<RecordStatus, number> = { synced: 0, pending: 0, waiting: 0, failed: 0, dead: 0, held: 0, skipped: 0 };
    for (const row of await this.query('SELECT status, COUNT(*)::int AS n FROM records WHERE flow = $1 GROUP BY status', [flow])) counts[row.status as RecordStatus] = Number(row.n);
    return counts;
  }

  async findTarget(flow: string, sourceId: string): Promise<string | undefined> {
    const [row] = await this.query("SELECT target_id FROM records WHERE flow = $1 AND source_id = $2 AND target_id IS NOT NULL AND status IN ('synced','pending','failed','dead')", [flow, sourceId]);
    return row ? String(row.target_id) : undefined;
  }

  async findSource(flow: string, targetId: string): Promise<string | undefined> {
    const [row] = await this.query("SELECT source_id FROM records WHERE flow = $1 AND target_id = $2 AND status IN ('synced','pending','failed','dead') ORDER BY status_since DESC LIMIT 1", [flow, targetId]);
    return row ? String(row.source_id) : undefined;
  }

  async ownWrites(flows: string[], records: { key: string; version: string }[]): Promise<Set<string>> {
    if (!flows.length || !records.length) return new Set();
    const rows = await this.query('SELECT to_key, to_version FROM cross_references WHERE flow = ANY($1) AND to_key = ANY($2) AND to_version IS NOT NULL', [flows, records.map((r) => r.key) ]);
    const stamped = new Set(rows.map((r) => `${String(r.to_key)}\u0000${String(r.to_version)}`));
    return new Set(records.filter((r) => stamped.has(`${r.key}\u0000${r.version}`)).map((r) => r.key));
  }

  async lastStamp(flow: string, key: string): Promise<string | undefined> {
    const [row] = await this.query('SELECT to_version FROM cross_references WHERE to_key = $1 AND flow = $2 AND to_version IS NOT NULL', [key, flow]);
    return row ? String(row.to_version) : undefined;
  }

  async markPending(runId: number, flow: string, writes: PendingWrite[]): Promise<void> {
    if (!writes.length) return;
    const now = this.now().toISOString();
    const intents = await this.transaction(async (db) => {
      await this.assertFence(db, runId);
      const made: { id: number; writes: PendingWrite[] }[] = [];
      for (let i = 0; i < writes.length; i += WRITES_PER_INTENT) {
        const chunk = writes.slice(i, i + WRITES_PER_INTENT);
        const [row] = await this.query('INSERT INTO write_intents (flow, run_id, created_at, writes) VALUES ($1, $2, $3, $4) RETURNING id', [flow, runId, now, `[${chunk.map(reservedJson).join(',')}]`], db);
        made.push({ id: Number(row!.id), writes: chunk });
      }
      return made;
    });
    for (const intent of intents) this.reservations.remember(flow, intent.id, intent.writes);
  }

  /** Turns intents into `pending` rows for the writes they hold that their run did not settle. */
  private async materialise(db: pg.PoolClient, intents: IntentRow[], now: string): Promise<void> {
    for (const intent of intents) {
      for (const w of JSON.parse(intent.writes) as ReservedWrite[]) {
        const [mark] = await this.query('SELECT status, last_run_id, idempotency_key FROM records WHERE flow = $1 AND source_id = $2', [intent.flow, w.sourceId], db);
        if (mark && mark.status !== 'pending' && mark.last_run_id === intent.run_id && mark.idempotency_key === w.idempotencyKey) continue;
        await this.query(
          `INSERT INTO records (flow, source_id, status, target_id, source_hash, flow_version, idempotency_key, source_updated_at, status_since, last_run_id, payload_json, match_value)
           VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (flow, source_id) DO UPDATE SET
             status = 'pending', target_id = COALESCE(excluded.target_id, records.target_id), source_hash = excluded.source_hash,
             flow_version = excluded.flow_version, idempotency_key = excluded.idempotency_key, source_updated_at = excluded.source_updated_at,
             status_since = excluded.status_since, last_run_id = excluded.last_run_id, payload_json = excluded.payload_json, match_value = excluded.match_value`,
          [intent.flow, w.sourceId, w.targetId ?? null, w.sourceHash, w.flowVersion, w.idempotencyKey, w.sourceUpdatedAt ?? null, now, intent.run_id, JSON.stringify(w.payload), w.matchValue === undefined ? null : JSON.stringify(w.matchValue)],
          db,
        );
      }
      await this.query('DELETE FROM write_intents WHERE id = $1', [intent.id], db);
    }
  }

  async settle(runId: number, flow: string, settlements: Settlement[]): Promise<void> {
    if (!settlements.length) return;
    const now = this.now().toISOString();
    const claims = this.reservations.claims(flow, settlements);
    const left = new Map<number, number>();
    await this.transaction(async (db) => {
      await this.assertFence(db, runId);
      for (const [i, s] of settlements.entries()) {
        const claim = claims[i];
        const failing = s.status === 'failed' || s.status === 'dead';
        const keepsSource = s.status !== 'synced' && s.status !== 'skipped';
        await this.query(SETTLE, [
          flow, s.sourceId, s.status, s.targetId ?? null, s.sourceHash, s.status === 'synced' ? (s.outputHash ?? null) : null, s.flowVersion, claim?.idempotencyKey ?? null,
          s.attempts ?? 0, s.status === 'failed' ? 1 : 0, s.error?.class ?? null, s.error?.status ?? null, s.error?.code ?? null, s.error?.field ?? null, s.error?.message ?? null,
          s.waitingOn ?? null, s.reason ?? null, s.sourceUpdatedAt ?? null, s.status === 'synced' ? now : null, failing ? now : null, now, runId,
          keepsSource && s.source ? JSON.stringify(s.source) : null,
          // A synced record keeps its payload only when the writer passes it (two-way flows compare field by field).
          s.payload && (keepsSource || s.status === 'synced') ? JSON.stringify(s.payload) : null,
          keepsSource && s.matchValue !== undefined ? JSON.stringify(s.matchValue) : null,
        ], db);
        await this.query('INSERT INTO events (flow, source_id, run_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)', [flow, s.sourceId, runId, now, s.action ?? s.status, JSON.stringify(eventDetail(s))], db);
        if (s.crossReference) {
          await this.query(
            'INSERT INTO cross_references (from_key, to_key, flow, created_at, to_version) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (from_key, to_key) DO UPDATE SET to_version = excluded.to_version',
            [s.crossReference.from, s.crossReference.to, flow, now, s.targetVersion ?? null],
            db,
          );
          for (const parent of s.references ?? []) await this.query('INSERT INTO cross_references (from_key, to_key, flow, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [s.crossReference.from, parent, flow, now], db);
        }
        if (claim && this.reservations.countDown(claim, left)) await this.query('DELETE FROM write_intents WHERE id = $1', [claim.intent], db);
      }
    });
    this.reservations.committed(flow, settlements, claims, left);
  }

  async notePending(runId: number, flow: string, rows: { sourceId: string; error: RecordError }[]): Promise<void> {
    if (!rows.length) return;
    const now = this.now().toISOString();
    await this.transaction(async (db) => {
      await this.assertFence(db, runId);
      for (const { sourceId, error } of rows) {
        const noted = await db.query(
          "UPDATE records SET error_class = $3, error_status = $4, error_code = $5, error_field = $6, error_message = $7, last_run_id = $8 WHERE flow = $1 AND source_id = $2 AND status = 'pending'",
          [flow, sourceId, error.class, error.status ?? null, error.code ?? null, error.field ?? null, error.message, runId],
        );
        if (noted.rowCount) await this.query('INSERT INTO events (flow, source_id, run_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)', [flow, sourceId, runId, now, 'unsettled', JSON.stringify({ error })], db);
      }
    });
  }

  async touchUnchanged(flow: string, rows: { sourceId: string; sourceHash: string; flowVersion: string }[]): Promise<void> {
    if (!rows.length) return;
    await this.transaction(async (db) => {
      for (const r of rows) await this.query('UPDATE records SET source_hash = $3, flow_version = $4 WHERE flow = $1 AND source_id = $2', [flow, r.sourceId, r.sourceHash, r.flowVersion], db);
    });
  }

  async approveHeld(flow: string, sourceId: string, detail: JsonObject): Promise<boolean> {
    const now = this.now().toISOString();
    return this.transaction(async (db) => {
      const changed = await db.query(
        "UPDATE records SET status = 'waiting', approved_hash = source_hash, reason = $3, status_since = $4 WHERE flow = $1 AND source_id = $2 AND status = 'held'",
        [flow, sourceId, 'approved: booked by the next run', now],
      );
      if (changed.rowCount !== 1) return false;
      await this.query('INSERT INTO events (flow, source_id, run_id, at, kind, detail) VALUES ($1, $2, NULL, $3, $4, $5)', [flow, sourceId, now, 'approved', JSON.stringify(detail)], db);
      return true;
    });
  }

  async recordDecision(flow: string, sourceId: string, kind: string, detail: JsonObject, status?: RecordStatus, reason?: string): Promise<void> {
    const now = this.now().toISOString();
    await this.transaction(async (db) => {
      await this.query(
        'UPDATE records SET status = COALESCE($3, status), reason = COALESCE($4, reason), status_since = CASE WHEN $3::text IS NULL OR $3 = status THEN status_since ELSE $5 END WHERE flow = $1 AND source_id = $2',
        [flow, sourceId, status ?? null, reason ?? null, now],
        db,
      );
      await this.query('INSERT INTO events (flow, source_id, run_id, at, kind, detail) VALUES ($1, $2, NULL, $3, $4, $5)', [flow, sourceId, now, kind, JSON.stringify(detail)], db);
    });
  }

  async getCursor(flow: string): Promise<string | undefined> {
    const [row] = await this.query('SELECT cursor FROM flow_state WHERE flow = $1', [flow]);
    return row?.cursor ? String(row.cursor) : undefined;
  }

  async saveCursor(flow: string, cursor: string, runId?: number): Promise<void> {
    await this.transaction(async (db) => {
      if (runId !== undefined) await this.assertFence(db, runId);
      await this.query('INSERT INTO flow_state (flow, cursor, updated_at) VALUES ($1, $2, $3) ON CONFLICT (flow) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at', [flow, cursor, this.now().toISOString()], db);
    });
  }

  async getFlowVersion(flow: string): Promise<string | undefined> {
    const [row] = await this.query('SELECT flow_version FROM flow_state WHERE flow = $1', [flow]);
    return row?.flow_version ? String(row.flow_version) : undefined;
  }

  async saveFlowVersion(flow: string, version: string): Promise<void> {
    await this.query('INSERT INTO flow_state (flow, flow_version, updated_at) VALUES ($1, $2, $3) ON CONFLICT (flow) DO UPDATE SET flow_version = excluded.flow_version, updated_at = excluded.updated_at', [flow, version, this.now().toISOString()]);
  }

  async startRun(flow: string, trigger: RunTrigger, lease?: Lease): Promise<number> {
    const now = this.now().toISOString();
    let intents: IntentRow[] = [];
    const runId = await this.transaction(async (db) => {
      await this.query("UPDATE runs SET status = 'failed', ended_at = $1, message = 'interrupted: the process running it stopped before the run ended' WHERE flow = $2 AND status = 'running'", [now, flow], db);
      // With the flow's lock held no other run of it is live: any intent left is a crashed run's.
      intents = (await this.query('SELECT id, flow, run_id, writes FROM write_intents WHERE flow = $1 ORDER BY id', [flow], db)) as unknown as IntentRow[];
      await this.materialise(db, intents, now);
      const [row] = await this.query("INSERT INTO runs (flow, trigger, status, started_at, lock_name, fence) VALUES ($1, $2, 'running', $3, $4, $5) RETURNING id", [flow, trigger, now, lease?.lock ?? null, lease?.fence ?? null], db);
      return Number(row!.id);
    });
    this.reservations.forget(intents.map((i) => i.id));
    return runId;
  }

  async finishRun(runId: number, status: RunStatus, counts: RunCounts, message?: string): Promise<void> {
    const now = this.now().toISOString();
    try {
      const intents = await this.transaction(async (db) => {
        const rows = (await this.query('SELECT id, flow, run_id, writes FROM write_intents WHERE run_id = $1 ORDER BY id', [runId], db)) as unknown as IntentRow[];
        await this.materialise(db, rows, now);
        return rows;
      });
      this.reservations.forget(intents.map((i) => i.id));
    } catch {
      // The intents are durable: the flow's next run turns them into pending rows. The run's end is still recorded.
    }
    const c = counts;
    await this.query(
      'UPDATE runs SET status = $2, ended_at = $3, message = $4, read = $5, created = $6, updated = $7, unchanged = $8, waiting = $9, held = $10, skipped = $11, failed = $12, dead = $13 WHERE id = $1',
      [runId, status, now, message ?? null, c.read, c.created, c.updated, c.unchanged, c.waiting, c.held, c.skipped, c.failed, c.dead],
    );
  }

  async listRuns(query: { flow?: string; since?: Date; limit?: number } = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const values: Value[] = [];
    if (query.flow) {
      values.push(query.flow);
      where.push(`flow = $${values.length}`);
    }
    if (query.since) {
      values.push(query.since.toISOString());
      where.push(`started_at >= $${values.length}`);
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC${query.limit ? ` LIMIT ${Math.floor(query.limit)}` : ''}`;
    return (await this.query(sql, values)).map(toRun);
  }

  async acquireLock(name: string, owner: string, leaseMs: number, isAbandoned?: (holder: string) => boolean): Promise<number | undefined> {
    const now = this.now().getTime();
    return this.transaction(async (db) => {
      // The row exists before it is locked, so two first takers queue on it instead of both inserting.
      await this.query("INSERT INTO locks (name, owner, expires_at, fence) VALUES ($1, '', 0, 0) ON CONFLICT DO NOTHING", [name], db);
      const [held] = await this.query('SELECT owner, expires_at FROM locks WHERE name = $1 FOR UPDATE', [name], db);
      if (held && Number(held.expires_at) > now && !isAbandoned?.(String(held.owner))) return undefined;
      // A released lock keeps its row, so its fencing number only ever grows.
      const [taken] = await this.query('UPDATE locks SET owner = $2, expires_at = $3, fence = fence + 1 WHERE name = $1 RETURNING fence', [name, owner, now + leaseMs], db);
      return Number(taken!.fence);
    });
  }

  async renewLock(name: string, owner: string, fence: number, leaseMs: number): Promise<boolean> {
    await this.ready;
    return (await this.pool.query('UPDATE locks SET expires_at = $1 WHERE name = $2 AND owner = $3 AND fence = $4', [this.now().getTime() + leaseMs, name, owner, fence])).rowCount === 1;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    await this.query('UPDATE locks SET expires_at = 0 WHERE name = $1 AND owner = $2', [name, owner]);
  }

  /** Inside a write transaction: refuses the write of a fenced run whose lock has passed to another holder. */
  private async assertFence(db: pg.PoolClient, runId: number): Promise<void> {
    const [run] = await this.query('SELECT flow, lock_name, fence FROM runs WHERE id = $1', [runId], db);
    if (!run || run.lock_name === null || run.fence === null) return;
    const [lock] = await this.query('SELECT fence FROM locks WHERE name = $1 FOR SHARE', [run.lock_name], db);
    if (Number(lock?.fence) !== Number(run.fence)) throw new StaleLockError(String(run.flow));
  }

  async rememberDelivery(connection: string, deliveryId: string, forgetBefore?: Date): Promise<boolean> {
    await this.ready;
    if (forgetBefore) await this.pool.query('DELETE FROM webhook_deliveries WHERE received_at < $1', [forgetBefore.toISOString()]);
    return (await this.pool.query('INSERT INTO webhook_deliveries (connection, delivery_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [connection, deliveryId, this.now().toISOString()])).rowCount === 1;
  }

  async claimSlot(slotKey: string, owner: string, forgetBefore?: Date): Promise<boolean> {
    await this.ready;
    if (forgetBefore) await this.pool.query('DELETE FROM schedule_slots WHERE claimed_at < $1', [forgetBefore.toISOString()]);
    return (await this.pool.query('INSERT INTO schedule_slots (slot_key, owner, claimed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [slotKey, owner, this.now().toISOString()])).rowCount === 1;
  }

  /**
   * Exact sliding windows, as the connectors' own limiters and the vendors count: each request is a row,
   * taken under the key's advisory lock, and a request waits until the oldest of the last `limit` leaves
   * the window. A request's interval runs from its answer, or from five seconds after its grant while it
   * is unanswered: the service stamps it on arrival, which on a busy host can be well after the grant,
   * but not later than that. So a request whose process died before the answer (a SIGKILL) holds its
   * place no longer than a live one would. Times are the database's clock, so hosts whose clocks differ
   * still agree.
   */
  sharedBudget(): SharedBudget {
    const clock = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
    return {
      take: async (key, limit, intervalMs, onWait) => {
        for (;;) {
          const granted = await this.transaction(async (db) => {
            await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
            const [{ now }] = (await db.query<{ now: string }>(`SELECT ${clock} AS now`)).rows as [{ now: string }];
            const windowStart = Number(now) - intervalMs;
            const stamped = `CASE WHEN in_flight THEN at + ${ARRIVED_WITHIN_MS} ELSE at END`;
            await db.query(`DELETE FROM request_budget WHERE key = $1 AND ${stamped} <= $2`, [key, windowStart]);
            const [{ n, oldest }] = (await db.query<{ n: number; oldest: string }>(`SELECT COUNT(*)::int AS n, MIN(${stamped}) AS oldest FROM request_budget WHERE key = $1`, [key])).rows as [{ n: number; oldest: string }];
            if (n < limit) return { id: (await db.query<{ id: string }>('INSERT INTO request_budget (key, at, in_flight) VALUES ($1, $2, true) RETURNING id', [key, now])).rows[0]!.id };
            return { wait: Number(oldest) - windowStart };
          });
          if ('id' in granted) {
            return { answered: async () => void (await this.pool.query(`UPDATE request_budget SET at = ${clock}, in_flight = false WHERE id = $1`, [granted.id])) };
          }
          onWait?.(granted.wait);
          await new Promise((resolve) => setTimeout(resolve, granted.wait));
        }
      },
    };
  }

  async events(flow: string, sourceId: string): Promise<LedgerEvent[]> {
    return (await this.query('SELECT * FROM events WHERE flow = $1 AND source_id = $2 ORDER BY id', [flow, sourceId])).map(toEvent);
  }

  async crossReferences(key: string): Promise<{ key: string; flow: string; direction: 'from' | 'to'; at: string }[]> {
    const [from, to] = await Promise.all([
      this.query('SELECT to_key AS key, flow, created_at FROM cross_references WHERE from_key = $1', [key]),
      this.query('SELECT from_key AS key, flow, created_at FROM cross_references WHERE to_key = $1', [key]),
    ]);
    return [...from.map(toLink('to')), ...to.map(toLink('from'))];
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }
}

/** A request unanswered this long after its grant has reached the service: its interval has begun. */
const ARRIVED_WITHIN_MS = 5_000;

/** A settlement: the record's row as this outcome leaves it (the upsert SQLite's ledger also uses). */
const SETTLE = `
  INSERT INTO records (flow, source_id, status, target_id, source_hash, output_hash, flow_version, idempotency_key, attempts, failed_runs,
                       error_class, error_status, error_code, error_field, error_message, waiting_on, reason,
                       source_updated_at, first_synced_at, last_synced_at, first_failed_at, last_failed_at,
                       status_since, last_run_id, source_json, payload_json, match_value)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20, $20, $21, $22, $23, $24, $25)
  ${SETTLE_UPDATE}`;
