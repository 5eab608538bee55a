import type { Storage } from './storage.js';
import { postgresDatabase, sqliteDatabase, type SqlDatabase } from './sql-database.js';

/** The SQL view of the gateway's storage, or undefined for memory storage. */
export function sqlDatabaseFor(storage: Storage): SqlDatabase | undefined {
  if (storage.kind === 'sqlite') return sqliteDatabase(storage.db);
  if (storage.kind === 'postgres') return postgresDatabase(storage.pool);
  return undefined;
}
