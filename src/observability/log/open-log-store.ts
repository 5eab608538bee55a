import type { Storage } from '../../storage/storage.js';
import { sqlDatabaseFor } from '../storage/sql-database-for.js';
import type { LogStore } from './log-store.js';
import { MemoryLogStore } from './memory-log-store.js';
import { SqlLogStore } from './sql-log-store.js';

/** The request log on the gateway's storage, migrated. */
export async function openLogStore(storage: Storage, prefix = 'tollgate_'): Promise<LogStore> {
  const database = sqlDatabaseFor(storage);
  const store = database === undefined ? new MemoryLogStore() : new SqlLogStore(database, prefix);
  await store.migrate();
  return store;
}
