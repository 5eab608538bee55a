import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MemoryLogStore } from '../../src/observability/log/memory-log-store.js';
import { SqlLogStore } from '../../src/observability/log/sql-log-store.js';
import { WorkerLogStore } from '../../src/observability/log/worker-log-store.js';
import { createLogger } from '../../src/server/logger.js';
import { postgresDatabase, sqliteDatabase } from '../../src/observability/storage/sql-database.js';
import { FIXTURE, logStoreSuite } from './log-store-suite.js';
import { dropTables, POSTGRES_URL, uniquePrefix } from './postgres.js';

logStoreSuite('memory', async () => ({ store: new MemoryLogStore(), cleanup: async () => {} }));

logStoreSuite('sqlite', async () => {
  const db = new Database(':memory:');
  return { store: new SqlLogStore(sqliteDatabase(db)), cleanup: async () => void db.close() };
});

/** An SQLite file whose inserts run on the writer thread (as the gateway opens it), reads on this connection. */
async function sqliteFile(workerPath?: (directory: string) => string) {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-log-store-'));
  const db = new Database(join(directory, 'log.db'));
  db.pragma('journal_mode = WAL');
  const sql = new SqlLogStore(sqliteDatabase(db));
  await sql.migrate();
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', write: (text) => void lines.push(text) });
  const store = new WorkerLogStore(sql, workerPath?.(directory) ?? join(directory, 'log.db'), logger);
  const cleanup = async () => {
    await store.close();
    db.close();
    await rm(directory, { recursive: true, force: true });
  };
  return { store, logger, lines, cleanup };
}

logStoreSuite('sqlite file, writer thread', async () => {
  const { store, cleanup } = await sqliteFile();
  return { store, cleanup };
});

test('a writer thread that cannot open the file hands its batches to the gateway connection: nothing is lost', async () => {
  const { store, logger, lines, cleanup } = await sqliteFile((directory) => join(directory, 'missing', 'log.db'));
  try {
    await store.insert(FIXTURE);
    await store.insert(FIXTURE.slice(0, 1).map((entry) => ({ ...entry, request_id: 'after-failure' })));
    const page = await store.query({ filter: { kind: 'all' }, sort: 'timestamp', order: 'asc', limit: 100, offset: 0 });
    assert.equal(page.total, FIXTURE.length + 1);
    logger.flush();
    assert.equal(lines.filter((line) => line.includes('request log writer thread failed')).length, 1);
  } finally {
    await cleanup();
  }
});

logStoreSuite('postgres', async () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  const prefix = uniquePrefix();
  return {
    store: new SqlLogStore(postgresDatabase(pool), prefix),
    cleanup: async () => {
      await dropTables(pool, prefix);
      await pool.end();
    },
  };
});
