import Database from 'better-sqlite3';
import pg from 'pg';
import { MemoryLogStore } from '../../src/observability/log/memory-log-store.js';
import { SqlLogStore } from '../../src/observability/log/sql-log-store.js';
import { postgresDatabase, sqliteDatabase } from '../../src/observability/storage/sql-database.js';
import { logStoreSuite } from './log-store-suite.js';
import { dropTables, POSTGRES_URL, uniquePrefix } from './postgres.js';

logStoreSuite('memory', async () => ({ store: new MemoryLogStore(), cleanup: async () => {} }));

logStoreSuite('sqlite', async () => {
  const db = new Database(':memory:');
  return { store: new SqlLogStore(sqliteDatabase(db)), cleanup: async () => void db.close() };
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
