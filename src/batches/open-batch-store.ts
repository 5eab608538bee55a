import type { Storage } from '../storage/storage.js';
import { postgresDatabase, sqliteDatabase } from '../storage/sql-database.js';
import { BatchStore } from './batch-store.js';

/**
 * The files and batches store on the gateway's storage: its SQLite file, its PostgreSQL database
 * (tables created once under an advisory lock, as replicas may start together), or a private
 * in-memory SQLite database when storage is `memory` (nothing survives a restart then).
 */
export async function openBatchStore(storage: Storage): Promise<BatchStore> {
  if (storage.kind === 'sqlite') return BatchStore.open(sqliteDatabase(storage.db));
  if (storage.kind === 'postgres') {
    const database = postgresDatabase(storage.pool);
    return BatchStore.open(database, (statements) =>
      database.transaction(async (transaction) => {
        await transaction.query('select pg_advisory_xact_lock(hashtext(?))', ['tollgate_batches']);
        for (const statement of statements) await transaction.execute(statement);
      }),
    );
  }
  const { default: Database } = await import('better-sqlite3');
  return BatchStore.open(sqliteDatabase(new Database(':memory:')));
}
