import type { Storage } from '../../storage/storage.js';
import { sqlDatabaseFor } from '../../storage/sql-database-for.js';
import type { LogStore } from './log-store.js';
import { MemoryLogStore } from './memory-log-store.js';
import { PostgresLogStore } from './postgres-log-store.js';
import { SqliteLogStore } from './sqlite-log-store.js';
import { SqliteReader } from './sqlite-reader.js';
import { WorkerLogStore } from './worker-log-store.js';
import { PrimaryLogStore } from './primary-log-store.js';
import { isGatewayWorker } from '../../lib/cluster-ipc.js';
import type { Logger } from '../../lib/logger.js';

/**
 * The request log on the gateway's storage, migrated. On an SQLite file, inserts run on a writer
 * thread and reads on a reader thread (`logger` hears if either fails); an in-memory SQLite
 * database cannot be shared with them.
 */
export async function openLogStore(storage: Storage, logger: Logger, prefix = 'tollgate_'): Promise<LogStore> {
  const database = sqlDatabaseFor(storage);
  if (database === undefined) return new MemoryLogStore();
  const onFile = storage.kind === 'sqlite' && storage.path !== ':memory:' && storage.path !== '';
  if (database.dialect === 'sqlite') {
    const store = new SqliteLogStore(database, prefix, onFile ? new SqliteReader(storage.path, database, logger) : database);
    await store.migrate();
    // Under `tollgate --workers N` the primary is the file's one writer (see PrimaryLogStore).
    if (onFile && isGatewayWorker()) return new PrimaryLogStore(store);
    if (onFile) return new WorkerLogStore(store, storage.path, logger);
    // In memory, nothing was stored before the content index: this returns at once.
    await store.indexStoredText();
    await store.rollUpStoredRecords();
    return store;
  }
  const store = new PostgresLogStore(database, prefix);
  await store.migrate();
  // PostgreSQL: records stored before the tag table get their tags in the background (a million
  // took 14 s here); tag filters use the GIN index until then.
  store.startTagBackfill((error) => logger.error('request log tag table: indexing earlier records failed; tag filters use the metadata index until a restart retries', { error }));
  store.startRollupBackfill((error) => logger.error('request log rollups: rolling up earlier records failed; aggregates read the records until a restart retries', { error }));
  return store;
}
