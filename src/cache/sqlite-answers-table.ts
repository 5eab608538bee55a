import type Database from 'better-sqlite3';

/**
 * The SQLite exact store's table: one row per stored answer, found by its row number, which the
 * store's in-memory index keeps beside each entry. The table has no index of its own: an index on the
 * 64-character key cost every insert a second B-tree written at a random place (about 9 µs of the
 * writer's 14 µs per answer); rows appended in row order cost one.
 */
export const ANSWERS_TABLE = 'cache_answers';

/** Values per answer in a write batch: id, namespace, operation, body, saved USD, created, expires. */
export const WRITE_COLUMNS = 7;

export const CREATE_ANSWERS = `create table if not exists ${ANSWERS_TABLE} (
  id text not null,
  namespace text not null,
  operation text not null,
  body text not null,
  saved_usd real not null,
  created_at integer not null,
  expires_at integer not null,
  used_at integer not null default 0
)`;
export const INSERT_ANSWER = `insert into ${ANSWERS_TABLE} (id, namespace, operation, body, saved_usd, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?)`;
/** By row and id: a row number freed and given to another answer (by another process sharing the file) is left alone. */
export const DELETE_ANSWER = `delete from ${ANSWERS_TABLE} where rowid = ? and id = ?`;

/** One batch of writes: rows to delete (row and id, end to end), then answers to insert, end to end in one flat array (WRITE_COLUMNS each). */
export interface AnswerWrites {
  readonly deletes: readonly (number | string)[];
  readonly values: readonly (string | number)[];
}

/** Writes a batch with the two prepared statements (inside the caller's transaction); returns the row of each inserted answer, in order. */
export function writeAnswers(insert: Database.Statement, remove: Database.Statement, writes: AnswerWrites): number[] {
  const deletes = writes.deletes;
  for (let at = 0; at < deletes.length; at += 2) remove.run(deletes[at], deletes[at + 1]);
  const rows: number[] = [];
  const values = writes.values;
  for (let at = 0; at < values.length; at += WRITE_COLUMNS) {
    rows.push(Number(insert.run(values[at], values[at + 1], values[at + 2], values[at + 3], values[at + 4], values[at + 5], values[at + 6]).lastInsertRowid));
  }
  return rows;
}
