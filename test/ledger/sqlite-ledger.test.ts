import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Settlement } from '../../src/ledger/ledger.js';
import { MIGRATIONS } from '../../src/ledger/migrations.js';
import { SqliteLedger } from '../../src/ledger/sqlite-ledger.js';
import { tempDir } from '../support/harness.js';

/** What only the SQLite ledger does: the file itself, and what it keeps on a record's row for speed. The rest is test/ledger/ledger.test.ts. */
describe('SQLite ledger', () => {
  it('is created owner-only, in WAL mode with full sync, at the current schema version', async () => {
    const path = join(tempDir(), 'nested', 'ledger.db');
    const ledger = new SqliteLedger(path);
    await ledger.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: MIGRATIONS.at(-1)!.version });
    db.close();
    // Re-opening applies nothing twice.
    await new SqliteLedger(path).close();
  });

  it("reads what a record became from the record's own row, and links written before schema 7 from their own rows", async () => {
    const ledger = new SqliteLedger(join(tempDir(), 'ledger.db'));
    const db = (ledger as unknown as { db: Database.Database }).db;
    const run = await ledger.startRun('customers', 'manual');
    const sync = (sourceId: string, targetId: string, targetVersion: string | undefined, from = `hubspot/contacts/${sourceId}`): Settlement => ({
      sourceId,
      status: 'synced',
      action: 'updated',
      targetId,
      sourceHash: 'h',
      flowVersion: 'v1',
      crossReference: { from, to: `quickbooks/customers/${targetId}` },
      targetVersion,
    });
    // As an older ledger left it: the link and its stamp in cross_references, the record row knowing neither.
    await ledger.settle(run, 'customers', [{ sourceId: '1', status: 'synced', action: 'created', targetId: '7', sourceHash: 'h', flowVersion: 'v1' }]);
    db.prepare("INSERT INTO cross_references VALUES ('hubspot/contacts/1', 'quickbooks/customers/7', 'customers', '2026-01-01T00:00:00.000Z', '3')").run();
    const legacy = { key: 'quickbooks/customers/7', flow: 'customers', direction: 'to', at: '2026-01-01T00:00:00.000Z' };
    expect(await ledger.lastStamp('customers', 'quickbooks/customers/7')).toBe('3');
    expect(await ledger.crossReferences('hubspot/contacts/1')).toEqual([legacy]);

    // Written again now: the row carries the link (shown once) and its stamp, which wins; an unstamped write clears it.
    await ledger.settle(run, 'customers', [sync('1', '7', '4')]);
    expect(await ledger.lastStamp('customers', 'quickbooks/customers/7')).toBe('4');
    expect(await ledger.crossReferences('hubspot/contacts/1')).toEqual([legacy]);
    await ledger.settle(run, 'customers', [sync('1', '7', undefined)]);
    expect(await ledger.lastStamp('customers', 'quickbooks/customers/7')).toBeUndefined();

    // Ids may hold slashes (Shopify's gid://); a flow may link more than one pair of entities.
    await ledger.settle(run, 'customers', [sync('gid://shopify/Customer/9', '8', '0', 'shopify/customers/gid://shopify/Customer/9')]);
    expect(await ledger.crossReferences('quickbooks/customers/8')).toEqual([{ key: 'shopify/customers/gid://shopify/Customer/9', flow: 'customers', direction: 'from', at: expect.any(String) }]);
    expect(await ledger.crossReferences('shopify/customers/gid://shopify/Customer/9')).toMatchObject([{ key: 'quickbooks/customers/8', direction: 'to' }]);
    expect(await ledger.ownWrites(['customers'], [{ key: 'quickbooks/customers/8', version: '0' }, { key: 'quickbooks/customers/7', version: '3' }])).toEqual(new Set(['quickbooks/customers/8']));
    expect(db.prepare('SELECT COUNT(*) AS n FROM cross_references').get()).toEqual({ n: 1 }); // the older ledger's row only
  });
});
