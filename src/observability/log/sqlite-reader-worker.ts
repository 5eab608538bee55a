import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { SqlValue } from '../storage/sql-database.js';

/** One read: a statement and its parameters (booleans already turned into 0 and 1). */
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
const statements = new Map<string, Database.Statement>();

parentPort!.on('message', (request: ReadRequest) => {
  let done: ReadDone;
  try {
    let statement = statements.get(request.sql);
    if (statement === undefined) {
      statement = database.prepare(request.sql);
      if (statements.size > 200) statements.clear();
      statements.set(request.sql, statement);
    }
    done = { id: request.id, rows: statement.all(...request.params) };
  } catch (error) {
    done = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(done);
});
