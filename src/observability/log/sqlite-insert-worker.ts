import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { SqlValue } from '../storage/sql-database.js';
import type { SqliteBatchStatements } from './sql-log-store.js';

/** How much lower than the gateway's threads the writer runs (nice value). */
const WRITER_NICE = 10;

/** What the gateway sends: one batch of rows, each the insert statement's parameters. */
export interface InsertBatch {
  id: number;
  rows: SqlValue[][];
}

/** The answer to a batch: stored, or why not. */
export interface InsertDone {
  id: number;
  error?: string;
}

export interface InsertWorkerData {
  path: string;
  statements: SqliteBatchStatements;
}

/**
 * Runs the request log's SQLite inserts on a thread of their own, on a second connection to the
 * same file (WAL lets the gateway's connection keep reading meanwhile). better-sqlite3 is
 * synchronous: on the main thread a batch insert, and the fsync of a checkpoint, would stall every
 * request in flight.
 */
const { path, statements } = workerData as InsertWorkerData;

// A background writer: when the cores are busy, requests go first. On Linux the nice value is
// per thread, so this lowers this thread only (by 10: the scheduler then gives it about a tenth of
// the share of a normal thread under contention, ample for batches that take a few percent of a
// core, and all of an idle core). Raising a nice value needs no privilege; should the platform
// refuse, the writer simply runs at normal priority.
try {
  setPriority(WRITER_NICE);
} catch {
  // Normal priority.
}
const database = new Database(path);
database.pragma('journal_mode = WAL');
database.pragma('synchronous = NORMAL');
database.pragma('busy_timeout = 5000');
const lastId = database.prepare(statements.lastId);
const insert = database.prepare(statements.row);
const tags = database.prepare(statements.tags);
const insertAll = database.transaction((rows: SqlValue[][]) => {
  const last = (lastId.get() as { id: number | null } | undefined)?.id ?? 0;
  for (const row of rows) insert.run(row.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value)));
  tags.run(last);
});

parentPort!.on('message', (batch: InsertBatch) => {
  let done: InsertDone;
  try {
    insertAll(batch.rows);
    done = { id: batch.id };
  } catch (error) {
    done = { id: batch.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(done);
});
