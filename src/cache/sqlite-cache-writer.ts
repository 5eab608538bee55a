import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { DELETE_ANSWER, INSERT_ANSWER, writeAnswers, type AnswerWrites } from './sqlite-answers-table.js';

/** How much lower than the gateway's threads the writer runs (nice value), as the request log's writer. */
const WRITER_NICE = 10;

/** One batch of the exact store's writes. */
export interface CacheWriteBatch extends AnswerWrites {
  id: number;
}

/** The batch is in the file, with the row each inserted answer got (in the batch's order), or why not. */
export interface CacheWriteDone {
  id: number;
  rows?: number[];
  error?: string;
}

export interface CacheWriterData {
  path: string;
}

/**
 * Writes the SQLite exact store's answers (sqlite-exact-store.ts) on a thread of its own, on a
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
const insert = database.prepare(INSERT_ANSWER);
const remove = database.prepare(DELETE_ANSWER);
const writeAll = database.transaction((batch: CacheWriteBatch) => writeAnswers(insert, remove, batch));

parentPort!.on('message', (batch: CacheWriteBatch) => {
  let done: CacheWriteDone;
  try {
    done = { id: batch.id, rows: writeAll.immediate(batch) };
  } catch (error) {
    done = { id: batch.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(done);
});
