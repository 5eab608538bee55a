import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteGovernanceStore } from '../../src/governance/storage/sqlite-governance-store.js';
import { sqliteDatabase } from '../../src/storage/sql-database.js';
import { openStorage } from '../../src/storage/storage.js';

/**
 * Another connection to the gateway's file (as the request log's writer thread is) holds the write
 * lock until a timer releases it. The timer can only fire if the event loop keeps turning while
 * the gateway's write waits: under SQLite's busy handler the write slept on the event loop for its
 * whole 5 s timeout and then failed with SQLITE_BUSY.
 */
type SqliteStorage = Awaited<ReturnType<typeof openStorage>> & { kind: 'sqlite' };

async function withLockedFile(prepare: (storage: SqliteStorage) => Promise<void>, run: (storage: SqliteStorage, locked: () => boolean) => Promise<void>) {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-write-lock-'));
  const storage = (await openStorage({ type: 'sqlite', path: join(directory, 'gateway.db') })) as SqliteStorage;
  const other = new Database(join(directory, 'gateway.db'));
  try {
    other.exec('create table if not exists other_writes (x integer)');
    storage.db.exec('create table if not exists t (x integer)');
    await prepare(storage);
    let locked = true;
    other.exec('BEGIN IMMEDIATE');
    other.exec('insert into other_writes values (1)');
    setTimeout(() => {
      other.exec('COMMIT');
      locked = false;
    }, 50);
    await run(storage, () => locked);
  } finally {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await storage.close();
    await rm(directory, { recursive: true, force: true });
  }
}

test("a write on the gateway's SQLite connection waits for another connection's lock with the event loop turning", async () => {
  await withLockedFile(async () => {}, async (storage, locked) => {
    const database = sqliteDatabase(storage.db);
    assert.equal(locked(), true);
    assert.equal(await database.execute('insert into t values (?)', [2]), 1);
    assert.equal(locked(), false);
    const inTransaction = await database.transaction(async (transaction) => transaction.execute('insert into t values (3)'));
    assert.equal(inTransaction, 1);
    assert.deepEqual(storage.db.prepare('select x from t order by x').all(), [{ x: 2 }, { x: 3 }]);
  });
});

test('governance writes on SQLite wait for the lock the same way', async () => {
  await withLockedFile(
    (storage) => new SqliteGovernanceStore(storage.db).migrate(),
    async (storage, locked) => {
    const store = new SqliteGovernanceStore(storage.db);
    assert.equal(locked(), true);
    await store.saveCounters([{ counter: 'key:k|usd|1d', windowEnd: Date.now() + 60_000, used: 1.5, credit: 0 }]);
    assert.equal(locked(), false);
    assert.deepEqual((await store.loadCounters(Date.now())).map((counter) => counter.used), [1.5]);
    },
  );
});
