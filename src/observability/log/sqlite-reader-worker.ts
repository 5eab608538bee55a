import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { sqliteDatabase, type SqlValue } from '../../storage/sql-database.js';

/** One read: a statement and its parameters. */
export interface ReadRequest {
  id: number;
  sql: string;
  params: SqlValue[];
}

export interface ReadDone {
  id: number;
  rows?: unknown[];
  error?: string;
}

export interface ReaderWorkerData {
  path: string;
}

/**
 * Answers the request log's reads (admin queries, exports, aggregations) on a thread of its own,
 * on a read-only connection to the gateway's SQLite file (WAL: it sees every committed batch and
 * never waits for the writer). better-sqlite3 is synchronous: on the event loop an aggregation
 * over a fifth of a million records held every request in flight for a fifth of a second.
 */
const { path } = workerData as ReaderWorkerData;
const database = new Database(path, { readonly: true, fileMustExist: true });
database.pragma('busy_timeout = 5000');
// The same statement cache and parameter handling as the gateway's own connection.
const reads = sqliteDatabase(database);

parentPort!.on('message', (request: ReadRequest) => {
  reads.query(request.sql, request.params).then(
    (rows) => parentPort!.postMessage({ id: request.id, rows } satisfies ReadDone),
    (error: unknown) => parentPort!.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies ReadDone),
  );
});
