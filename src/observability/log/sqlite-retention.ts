import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SqlDatabase } from '../../storage/sql-database.js';

/** The statements of a retention sweep on SQLite (SqliteLogStore.retentionStatements). */
export interface SqliteRetentionStatements {
  /** Deletes up to `limit` records of one kind older than a cut-off: `[kind, epochMs, limit]`, through the (kind, ts) index. */
  readonly records: string;
  /** The record kinds, each swept through the index on its own. */
  readonly kinds: readonly string[];
  /** The first tag after the given one (`''` for the first): one primary-key step. */
  readonly nextTag: string;
  /** Deletes one tag's rows older than a cut-off: `[tag, epochMs]`, a primary-key range. */
  readonly tagRows: string;
  /** Removes the content index's entries of the records older than a cut-off: `[epochMs]`. Runs first, while the records are there to name them. */
  readonly text: string;
  /** The start of the oldest hourly rollup row (null when none): `select … as start`. */
  readonly oldestHour: string;
  /** Deletes the hourly rollup rows of one hour: `[start]`, a primary-key range. */
  readonly hourRows: string;
}

/** Records deleted per statement: each step is a short transaction that other writers can queue behind. */
export const RETENTION_RECORDS_PER_STEP = 2_000;
const HOUR_MS = 3_600_000;
/** Tags whose old rows are deleted per transaction. */
const RETENTION_TAGS_PER_STEP = 200;

/**
 * Deletes records (and their tag rows) that arrived before `epochMs`, in bounded steps with a turn
 * of the event loop between them, so a sweep never holds SQLite's write lock for long: the writer
 * thread's inserts, and the gateway's own writes to the same file (the audit log), wait at most one
 * step. One `delete … where ts < ?` instead read the whole table (`ts` leads no index) and deleted
 * a day of records in one transaction. The content index's entries go first, in one statement (see
 * there). The tag table is keyed by tag first; its old rows are found tag by tag, each a range of
 * its primary key; the hourly rollups' old rows hour by hour. Returns the number of records deleted.
 */
export async function deleteInSteps(database: SqlDatabase, statements: SqliteRetentionStatements, epochMs: number): Promise<number> {
  // One statement for the whole sweep: on the content index each statement costs about the same
  // whatever it removes (a hundred milliseconds at a few tens of thousands of entries).
  await database.execute(statements.text, [epochMs]);
  await nextTurn();
  let deleted = 0;
  for (const kind of statements.kinds) {
    for (;;) {
      const count = await database.execute(statements.records, [kind, epochMs, RETENTION_RECORDS_PER_STEP]);
      deleted += count;
      if (count < RETENTION_RECORDS_PER_STEP) break;
      await nextTurn();
    }
  }
  // Hourly rollups of hours wholly before the cut-off go, an hour per step (daily ones stay, see docs/observability.md).
  for (;;) {
    const oldest = (await database.query<{ start: number | null }>(statements.oldestHour))[0]?.start ?? null;
    if (oldest === null || oldest + HOUR_MS > epochMs) break;
    await database.execute(statements.hourRows, [oldest]);
    await nextTurn();
  }
  let tag: string | undefined = '';
  while (tag !== undefined) {
    tag = await database.transaction(async (transaction) => {
      let current: string | undefined = tag;
      for (let step = 0; step < RETENTION_TAGS_PER_STEP && current !== undefined; step++) {
        current = (await transaction.query<{ tag: string }>(statements.nextTag, [current]))[0]?.tag;
        if (current !== undefined) await transaction.execute(statements.tagRows, [current, epochMs]);
      }
      return current;
    });
    if (tag !== undefined) await nextTurn();
  }
  return deleted;
}
