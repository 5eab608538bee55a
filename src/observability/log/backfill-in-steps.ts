import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SqlDatabase } from '../../storage/sql-database.js';

/**
 * The statements of a backfill: an index kept by the insert itself, filled afterwards for the
 * records stored before it existed (SQLite's content index, PostgreSQL's tag table).
 */
export interface BackfillStatements {
  /** The id below which records are not indexed yet; no row once all are. */
  readonly watermark: string;
  /** Indexes the records with ids in `[from, below)`. */
  readonly indexRange: string;
  readonly setWatermark: string;
  readonly finish: string;
}

/** Record ids per step: a short transaction, so inserts queue behind it for a few milliseconds at most. */
const IDS_PER_STEP = 2_000;

/**
 * Indexes the records stored before an index existed (SQLite's content index, migration 6;
 * PostgreSQL's tag table, migration 7), newest first, a range of ids per transaction with a turn
 * of the event loop between them, so new batches keep being stored meanwhile. Resumes from the
 * watermark after a restart. Resolves once every record is indexed (at once when none is left),
 * or after the step under way once `stopped` says so.
 */
export async function backfillInSteps(database: SqlDatabase, statements: BackfillStatements, stopped: () => boolean = () => false): Promise<void> {
  while (!stopped()) {
    const done = await database.transaction(async (transaction) => {
      const below = (await transaction.query<{ below: number }>(statements.watermark))[0]?.below;
      if (below === undefined) return true;
      if (below <= 1) {
        await transaction.execute(statements.finish);
        return true;
      }
      const from = Math.max(1, below - IDS_PER_STEP);
      await transaction.execute(statements.indexRange, [from, below]);
      await transaction.execute(statements.setWatermark, [from]);
      return false;
    });
    if (done) return;
    await nextTurn();
  }
}
