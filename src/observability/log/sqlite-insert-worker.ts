import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { sqliteDatabase, type SqlValue } from '../../storage/sql-database.js';
import { deleteInSteps, type SqliteRetentionStatements } from './sqlite-retention.js';
import { backfillInSteps, type BackfillStatements } from './backfill-in-steps.js';
import { hasContent, restoreRepeats } from './record-values.js';
import type { SqliteBatchStatements } from './sqlite-log-store.js';

/** How much lower than the gateway's threads the writer runs (nice value). */
const WRITER_NICE = 10;

/**
 * What the gateway sends: one batch, its records' parameters end to end in one flat array
 * (`statements.columns` each, see writeRecordValues), a value equal to the previous record's in
 * its column sent as `undefined` (see elideRepeats). One array, not one per record: the copy
 * between the threads, and the garbage it leaves on both sides, then hold one object per batch.
 */
export interface InsertBatch {
  id: number;
  values: (SqlValue | undefined)[];
}

/** Asks for a retention sweep (records that arrived before `deleteBefore`, epoch milliseconds). */
export interface DeleteRequest {
  id: number;
  deleteBefore: number;
}

/** The answer to a batch or a sweep: done (with the id of the batch's last record, or the records deleted by a sweep), or why not. */
export interface InsertDone {
  id: number;
  error?: string;
  deleted?: number;
  lastId?: number;
}

export interface InsertWorkerData {
  path: string;
  statements: SqliteBatchStatements;
  retention: SqliteRetentionStatements;
  textBackfill: BackfillStatements;
  rollupBackfill: BackfillStatements;
}

/** Sent once, should indexing the content of records stored before the content index fail (searches then keep reading the rows). */
export interface BackfillFailed {
  backfillFailed: string;
}

/**
 * Runs the request log's SQLite writes (batch inserts, retention sweeps, the content index's
 * catch-up) on a thread of their own, on a second connection to the same file (WAL lets the other
 * connections keep reading meanwhile). better-sqlite3 is synchronous: on the main thread a batch
 * insert, and the fsync of a checkpoint, would stall every request in flight.
 */
const { path, statements, retention, textBackfill, rollupBackfill } = workerData as InsertWorkerData;

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
const tags = database.prepare(statements.tags);
const text = database.prepare(statements.text);
const rollups = database.prepare(statements.rollups);

/** Multi-row inserts by record count: the full chunk, and each batch's remainder as it comes. */
const inserts = new Map<number, Database.Statement>();
function insertOf(records: number): Database.Statement {
  let statement = inserts.get(records);
  if (statement === undefined) {
    statement = database.prepare(statements.insert + Array.from({ length: records }, () => statements.row).join(', '));
    inserts.set(records, statement);
  }
  return statement;
}

const insertAll = database.transaction((values: (SqlValue | undefined)[]) => {
  restoreRepeats(values, statements.columns);
  const last = (lastId.get() as { id: number | null } | undefined)?.id ?? 0;
  // SQLite takes no booleans.
  for (let index = 0; index < values.length; index++) if (typeof values[index] === 'boolean') values[index] = values[index] ? 1 : 0;
  const perStatement = statements.chunk * statements.columns;
  for (let start = 0; start < values.length; start += perStatement) {
    const parameters = values.length <= perStatement ? values : values.slice(start, start + perStatement);
    // As arguments, not one array: better-sqlite3 reads an array's elements through V8's generic
    // property lookup, a fifth of this thread's instructions; arguments it takes as they are.
    insertOf(parameters.length / statements.columns).run(...parameters);
  }
  tags.run(last);
  rollups.run(last);
  if (hasContent(values, statements)) text.run(last);
  // `autoincrement` under the write lock: the batch took the ids right after the previous highest.
  return (lastId.get() as { id: number | null } | undefined)?.id ?? 0;
});

// Records stored before the content index existed, then those stored before the rollups
// (migration 12), are caught up with in the background, in steps, between batches: one after the
// other, since both take this connection's transactions. Until then content searches and
// aggregates read the records.
async function catchUp(): Promise<void> {
  for (const [what, backfill] of [['content index', textBackfill], ['rollups', rollupBackfill]] as const) {
    await backfillInSteps(sqliteDatabase(database), backfill).catch((error: unknown) =>
      parentPort!.postMessage({ backfillFailed: `${what}: ${error instanceof Error ? error.message : String(error)}` } satisfies BackfillFailed),
    );
  }
}
void catchUp();

/** Sweeps run in steps (deleteInSteps), so batches that arrive meanwhile are stored between them. */
function sweep(request: DeleteRequest): void {
  deleteInSteps(sqliteDatabase(database), retention, request.deleteBefore).then(
    (deleted) => parentPort!.postMessage({ id: request.id, deleted } satisfies InsertDone),
    (error: unknown) => parentPort!.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies InsertDone),
  );
}

parentPort!.on('message', (batch: InsertBatch | DeleteRequest) => {
  if ('deleteBefore' in batch) return sweep(batch);
  let done: InsertDone;
  try {
    // BEGIN IMMEDIATE: the write lock first, waiting for it through the busy handler, then the
    // reads. A deferred transaction read the last id first; should another connection commit
    // while it waited for the lock, SQLite refused to write from that older snapshot
    // (SQLITE_BUSY_SNAPSHOT, "database is locked", which the busy handler does not wait out) and
    // the whole batch was lost.
    done = { id: batch.id, lastId: insertAll.immediate(batch.values) };
  } catch (error) {
    done = { id: batch.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(done);
});
