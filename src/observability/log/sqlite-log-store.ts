import type { JournaledSpend } from '../../pipeline/capabilities.js';
import type { SqlDatabase, SqlValue } from '../../storage/sql-database.js';
import type { NumberedLogStore } from './log-store.js';
import type { LogFilter } from './log-filter.js';
import { backfillInSteps, type BackfillStatements } from './backfill-in-steps.js';
import { tagRows, textRows } from './request-log-migrations.js';
import { NOT_TURN, rollupInsert } from './rollup-statements.js';
import { hasContent, restoreRepeats, STORED_COLUMNS } from './record-values.js';
import type { RequestRecord } from './request-record.js';
import { contentLike, SqlLogStore, timeRange, tagOf } from './sql-log-store.js';
import { deleteInSteps, type SqliteRetentionStatements } from './sqlite-retention.js';

/**
 * Records per insert statement (bench:log-writes): one statement per record paid the statement's
 * start and the binding call for each; a few dozen per statement amortize both while keeping the
 * parameter count (34 each) far below SQLite's limit.
 */
const INSERT_CHUNK = 32;

/** See SqliteLogStore.batchStatements. */
export interface SqliteBatchStatements {
  /** `select max(id) as id …` before the batch. */
  readonly lastId: string;
  /**
   * `insert or fail into … values `, followed by one `row` per record, comma-separated, at most
   * `chunk` of them. `or fail`: a statement that may abort after writing some of its rows needs a
   * statement journal, written to a temporary file (seven times the system calls per record);
   * on failure the whole batch's transaction is rolled back anyway.
   */
  readonly insert: string;
  readonly chunk: number;
  /** One record's placeholders, `(?, ?, …)`; its parameters are `values()`, in order. */
  readonly row: string;
  /** Parameters per record. */
  readonly columns: number;
  /** Fills the tag table from the rows after the given id. */
  readonly tags: string;
  /** Fills the content index (migration 6) from the rows after the given id; only needed when a record of the batch has content. */
  readonly text: string;
  /** Where the bodies sit among a record's parameters. */
  readonly contentColumns: readonly number[];
  /** Adds the rows after the given id to the rollups (migration 12). */
  readonly rollups: string;
}

/**
 * The request log on SQLite. Its tag table is complete from migration 4 on; its content index
 * (migration 6, trigrams) answers content searches once it holds every stored record's bodies.
 */
export class SqliteLogStore extends SqlLogStore implements NumberedLogStore {
  /** Whether the content index holds every stored record's bodies (once true, for good). */
  private textComplete = false;

  constructor(database: SqlDatabase, prefix = 'tollgate_', reads: SqlDatabase & { close?(): Promise<void> } = database) {
    super(database, prefix, reads);
  }

  /**
   * How a batch is written, as statements, so a writer on another connection
   * (sqlite-insert-worker.ts) does exactly what `insert` does: note the last id, insert the rows
   * (`chunk` per statement), then fill the tag table from the new rows in one statement (a
   * statement per tag cost a third more per record).
   */
  get batchStatements(): SqliteBatchStatements {
    return {
      lastId: `select max(id) as id from ${this.table}`,
      insert: `insert or fail into ${this.table} (${STORED_COLUMNS.join(', ')}) values `,
      chunk: INSERT_CHUNK,
      row: `(${STORED_COLUMNS.map(() => '?').join(', ')})`,
      columns: STORED_COLUMNS.length,
      tags: `${tagRows(this.prefix)} and logs.id > ?`,
      text: `${textRows(this.prefix)} and logs.id > ?`,
      contentColumns: [STORED_COLUMNS.indexOf('request_content'), STORED_COLUMNS.indexOf('response_content')],
      rollups: rollupInsert('sqlite', this.prefix, this.table, `where id > ? and ${NOT_TURN}`),
    };
  }

  /** How a retention sweep runs (see deleteInSteps), also on the writer thread. */
  get retentionStatements(): SqliteRetentionStatements {
    return {
      records: `delete from ${this.table} where id in (select id from ${this.table} where kind = ? and ts < ? limit ?)`,
      kinds: ['request', 'attempt'],
      nextTag: `select tag from ${this.tags} where tag > ? order by tag limit 1`,
      tagRows: `delete from ${this.tags} where tag = ? and ts < ?`,
      // Only request records carry bodies (attempt records never do).
      text: `delete from ${this.prefix}request_log_text where rowid in (select id from ${this.table} where kind = 'request' and ts < ? and (request_content is not null or response_content is not null))`,
      oldestHour: `select min(start) as start from ${this.prefix}request_log_rollups where span = 3600000`,
      hourRows: `delete from ${this.prefix}request_log_rollups where span = 3600000 and start = ?`,
    };
  }

  /** How the rollups catch up with records stored before them (migration 12, see backfillInSteps). */
  get rollupBackfillStatements(): BackfillStatements {
    const backfill = `${this.prefix}request_log_rollups_backfill`;
    return {
      watermark: `select below from ${backfill}`,
      indexRange: rollupInsert('sqlite', this.prefix, this.table, `where id >= ? and id < ? and ${NOT_TURN}`),
      setWatermark: `update ${backfill} set below = ?`,
      finish: `delete from ${backfill}`,
    };
  }

  /** How the content index catches up with records stored before it (see backfillInSteps). */
  get textBackfillStatements(): BackfillStatements {
    const backfill = `${this.prefix}request_log_text_backfill`;
    return {
      watermark: `select below from ${backfill}`,
      indexRange: `${textRows(this.prefix)} and logs.id >= ? and logs.id < ?`,
      setWatermark: `update ${backfill} set below = ?`,
      finish: `delete from ${backfill}`,
    };
  }

  async insert(records: readonly RequestRecord[]): Promise<number> {
    if (records.length === 0) return this.lastId();
    // An undefined field is stored as NULL (insertValues would take it for a repeat of the record before).
    return this.insertValues(records.flatMap((record) => this.values(record).map((value) => (value === undefined ? null : value))));
  }

  /**
   * Records given as their parameters end to end (`batchStatements.columns` each), a value equal to
   * the one in the same column of the record before possibly sent as `undefined` (elideRepeats):
   * what a `--workers` worker sends its primary. Restored in place.
   */
  async insertValues(values: (SqlValue | undefined)[]): Promise<number> {
    const batch = this.batchStatements;
    if (values.length === 0) return this.lastId();
    restoreRepeats(values, batch.columns);
    const perStatement = batch.chunk * batch.columns;
    return this.database.transaction(async (transaction) => {
      const last = (await transaction.query<{ id: number | null }>(batch.lastId))[0]?.id ?? 0;
      for (let start = 0; start < values.length; start += perStatement) {
        const chunk = values.slice(start, start + perStatement);
        await transaction.execute(batch.insert + Array.from({ length: chunk.length / batch.columns }, () => batch.row).join(', '), chunk);
      }
      await transaction.execute(batch.tags, [last]);
      await transaction.execute(batch.rollups, [last]);
      // Content logging is off by default; then the content index has nothing to take.
      if (hasContent(values, batch)) await transaction.execute(batch.text, [last]);
      // `autoincrement` under the write lock: the batch took the ids right after the previous highest.
      return (await transaction.query<{ id: number | null }>(batch.lastId))[0]?.id ?? 0;
    });
  }

  async lastId(): Promise<number> {
    return (await this.database.query<{ id: number | null }>(this.batchStatements.lastId))[0]?.id ?? 0;
  }

  /** On the gateway's own connection: it runs once, at start-up, before any record of this run is written. */
  async spendBetween(after: number, through: number): Promise<JournaledSpend[]> {
    const rows = await this.database.query<{ virtual_key_id: string | null; provider: string | null; cost_usd: number | null; charged_nano_usd: number | null; ts: number }>(
      `select virtual_key_id, provider, cost_usd, charged_nano_usd, ts from ${this.table} where id > ? and id <= ? and kind = 'request' and ((cost_usd is not null and cost_usd <> 0) or charged_nano_usd <> 0) order by id`,
      [after, through],
    );
    return rows.map((row) => ({
      virtualKeyId: row.virtual_key_id,
      provider: row.provider,
      costUsd: row.cost_usd ?? 0,
      ...(row.charged_nano_usd === null ? {} : { chargedNanoUsd: Number(row.charged_nano_usd) }),
      receivedAt: row.ts,
    }));
  }

  deleteBefore(epochMs: number): Promise<number> {
    return deleteInSteps(this.database, this.retentionStatements, epochMs);
  }

  /** Indexes the content of records stored before the content index (the writer thread does it for a file). */
  indexStoredText(): Promise<void> {
    return backfillInSteps(this.database, this.textBackfillStatements);
  }

  /** Rolls up the records stored before the rollups (the writer thread does it for a file). */
  rollUpStoredRecords(): Promise<void> {
    return backfillInSteps(this.database, this.rollupBackfillStatements);
  }

  protected rollupWatermark(): string {
    return this.rollupBackfillStatements.watermark;
  }

  protected tagTableComplete(): boolean {
    return true;
  }

  protected async prepareFor(filter: LogFilter): Promise<boolean> {
    if (filter.text === undefined) return false;
    if (!this.textComplete) this.textComplete = (await this.reads.query(this.textBackfillStatements.watermark)).length === 0;
    return this.textComplete;
  }

  protected taggedIds(filter: LogFilter, params: SqlValue[]): string {
    const selects: string[] = [];
    for (const { key, value } of filter.metadata ?? []) {
      params.push(tagOf(key, value));
      selects.push(`select ts, log_id from ${this.tags} where tag = ?${timeRange('ts', filter, params)}`);
    }
    // Intersecting (ts, log_id), the key's own order under one tag, merges the lists without sorting them.
    return `select log_id from (${selects.join(' intersect ')}) as tagged`;
  }

  protected metadataConditions(filter: LogFilter, kind: string, clauses: string[], params: SqlValue[]): void {
    if (kind === 'request') {
      // `+id`: a membership test, so the planner keeps walking an index in the page's order.
      clauses.push(`+id in (${this.taggedIds(filter, params)})`);
      return;
    }
    // Attempt records have no tag rows.
    for (const { key, value } of filter.metadata ?? []) {
      clauses.push('json_extract(metadata, ?) = ?');
      params.push(`$."${key.replaceAll('"', '')}"`, value);
    }
  }

  protected textCondition(text: string, textIndexed: boolean, textChooses: boolean, params: SqlValue[]): string {
    // Under three characters a trigram cannot match: the rows are read.
    if (!textIndexed || [...text].length < 3) return contentLike('like', text, params);
    // The content index (migration 6): a phrase of the trigram tokenizer is a case-insensitive substring.
    // The unary `+` keeps the planner from driving the query from the index's matches.
    params.push(`"${text.replaceAll('"', '""')}"`);
    return `${textChooses ? '' : '+'}id in (select rowid from ${this.prefix}request_log_text where ${this.prefix}request_log_text match ?)`;
  }

  protected groupColumn(dimension: string, key: string | undefined, name: string, params: SqlValue[]): string {
    // Unary + (a no-op) keeps the planner from walking an index just because it is sorted by the
    // group column, reading the whole table instead of the rows the filter's index finds.
    if (key === undefined) return `+${dimension} as ${name}`;
    params.push(`$."${key}"`);
    return `json_extract(metadata, ?) as ${name}`;
  }
}
