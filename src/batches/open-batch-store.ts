import type { Storage } from '../storage/storage.js';
import { BatchStore } from './batch-store.js';

/**
 * The files and batches store on the gateway's storage: its SQLite file, its PostgreSQL database
 * (tables created once under an advisory lock, as replicas may start together), or a private
 * in-memory SQLite database when storage is `memory` (nothing survives a restart then).
 */
export async function openBatchStore(storage: Storage): Promise<BatchStore> {
  const { sqliteRunner, postgresRunner } = await import('./sql-runner.js');
  if (storage.kind === 'sqlite') return BatchStore.open(sqliteRunner(storage.db));
  if (storage.kind === 'postgres') {
    const pool = storage.pool;
    return BatchStore.open(postgresRunner(pool), async (statements) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('select pg_advisory_xact_lock(hashtext($1))', ['tollgate_batches']);
        for (const statement of statements) await client.query(statement);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    });
  }
  const { default: Database } = await import('better-sqlite3');
  return BatchStore.open(sqliteRunner(new Database(':memory:')));
}
