import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** How much lower than the gateway's threads the writer runs (nice value), as the request log's writer. */
const WRITER_NICE = 10;

/** Values per entry in a batch: id, namespace (null: delete the id), operation, body, saved USD, created, expires. */
export const WRITE_COLUMNS = 7;

/** One batch of the exact store's writes, entries end to end in one flat array (WRITE_COLUMNS each). */
export interface CacheWriteBatch {
  id: number;
  values: (string | number | null)[];
}

/** The batch is in the file (or why not). */
export interface CacheWriteDone {
  id: number;
  error?: string;
}

export interface CacheWriterData {
  path: string;
}

/**
 * Writes the SQLite exact store's entries (sqlite-exact-store.ts) on a thread of its own, on a
 * second connection to the gateway's file: better-sqlite3 is synchronous, and an insert with its
 * commit on the event loop cost every miss tens of microseconds (and every request in flight a
 * checkpoint's fsync now and then). WAL lets the gateway's connection read meanwhile.
 */
const { path } = workerData as CacheWriterData;

try {
  setPriority(WRITER_NICE);
} catch {
  // Normal priority.
}
const database = new Database(path);
database.pragma('journal_mode = WAL');
database.pragma('synchronous = NORMAL');
database.pragma('busy_timeout = 5000');
const insert = database.prepare('insert or replace into cache_entries (id, namespace, operation, body, saved_usd, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?)');
const remove = database.prepare('delete from cache_entries where id = ?');

const writeAll = database.transaction((values: (string | number | null)[]) => {
  for (let at = 0; at < values.length; at += WRITE_COLUMNS) {
    if (values[at + 1] === null) remove.run(values[at]);
    else insert.run(values[at], values[at + 1], values[at + 2], values[at + 3], values[at + 4], values[at + 5], values[at + 6]);
  }
});

parentPort!.on('message', (batch: CacheWriteBatch) => {
  let done: CacheWriteDone;
  try {
    writeAll.immediate(batch.values);
    done = { id: batch.id };
  } catch (error) {
    done = { id: batch.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(done);
});
