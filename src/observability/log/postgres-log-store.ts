import type { SqlDatabase, SqlValue } from '../../storage/sql-database.js';
import type { LogFilter } from './log-filter.js';
import { backfillInSteps, type BackfillStatements } from './backfill-in-steps.js';
import { postgresBatchInsert, postgresBatchJson } from './postgres-batch.js';
import { postgresTagRows } from './request-log-migrations.js';
import { NOT_TURN, rollupInsert } from './rollup-statements.js';
import type { RequestRecord } from './request-record.js';
import { contentLike, onlyTags, SqlLogStore, tagOf, timeRange } from './sql-log-store.js';

/**
 * The request log on PostgreSQL. Its tag table (migration 7) takes over tag filters once it holds
 * the tags of records stored before it (a backfill in the background); until then, and for tags
 * with other filters, the GIN index on metadata answers.
 */
export class PostgresLogStore extends SqlLogStore {
  /** The batch insert (postgres-batch.ts), made on first use. */
  private batchInsert: string | undefined;
  /** The batch insert that skips records already stored, for the insert after a failed one. */
  private batchInsertSkippingStored: string | undefined;
  /** Whether the last insert failed: it may have committed all the same (see insert). */
  private lastInsertFailed = false;
  /** Whether the tag table holds every request record's tags: once the backfill is done, for good. */
  private tagsComplete = false;
  /** The tag backfill, when started in the background (startTagBackfill). */
  private tagBackfill: Promise<void> | undefined;
  /** The rollups' backfill, when started in the background (startRollupBackfill). */
  private rollupBackfill: Promise<void> | undefined;
  private closing = false;

  constructor(database: SqlDatabase, prefix = 'tollgate_') {
    super(database, prefix, database);
  }

  /**
   * One statement, so no transaction around it (see postgres-batch.ts). A connection that breaks
   * after the server committed and before its answer arrived (PostgreSQL stopped or restarted, a
   * network cut) fails the insert of a batch that is stored; the writer tries that batch again, and
   * stored twice it would count every one of its requests twice in the log and the rollups. So the
   * insert after a failed one skips the records already stored.
   */
  async insert(records: readonly RequestRecord[]): Promise<void> {
    if (records.length === 0) return;
    const statement = this.lastInsertFailed
      ? (this.batchInsertSkippingStored ??= postgresBatchInsert(this.table, this.prefix, true))
      : (this.batchInsert ??= postgresBatchInsert(this.table, this.prefix));
    try {
      await this.database.execute(statement, [postgresBatchJson(records)]);
      this.lastInsertFailed = false;
    } catch (error) {
      this.lastInsertFailed = true;
      throw error;
    }
  }

  async deleteBefore(epochMs: number): Promise<number> {
    const deleted = await this.database.execute(`delete from ${this.table} where ts < ?`, [epochMs]);
    // One statement, whatever the number of distinct tags: the server reads the table, in its own process.
    await this.database.execute(`delete from ${this.tags} where ts < ?`, [epochMs]);
    // Hourly rollups of hours wholly before the cut-off go with their records; daily ones stay (docs/observability.md).
    await this.database.execute(`delete from ${this.prefix}request_log_rollups_hour where start <= ?`, [epochMs - 3_600_000]);
    return deleted;
  }

  /** Stops the tag table's backfill after the step under way. */
  override async close(): Promise<void> {
    this.closing = true;
    await this.tagBackfill;
    await this.rollupBackfill;
  }

  /** How the tag table catches up with records stored before it (migration 7, see backfillInSteps). */
  private get tagBackfillStatements(): BackfillStatements {
    const backfill = `${this.prefix}request_log_tags_backfill`;
    return {
      watermark: `select below from ${backfill}`,
      indexRange: `${postgresTagRows(this.prefix, `(select id, ts, kind, metadata from ${this.table} where id >= ? and id < ?)`)} on conflict do nothing`,
      setWatermark: `update ${backfill} set below = ?`,
      finish: `delete from ${backfill}`,
    };
  }

  /** Adds the tags of records stored before the tag table to it. Other replicas may be doing the same: the rows are the same, and taken once. */
  indexStoredTags(): Promise<void> {
    return backfillInSteps(this.database, this.tagBackfillStatements, () => this.closing);
  }

  /** indexStoredTags in the background (the gateway), until done or closed; `onError` hears a failure. */
  startTagBackfill(onError: (error: unknown) => void): void {
    this.tagBackfill = this.indexStoredTags().catch(onError);
  }

  /**
   * How the rollups catch up with records stored before them (migration 12, see backfillInSteps).
   * The watermark row is locked for the step: a record rolled up twice would be counted twice, so
   * replicas doing the same take the steps in turn.
   */
  private get rollupBackfillStatements(): BackfillStatements {
    const backfill = `${this.prefix}request_log_rollups_backfill`;
    return {
      watermark: `select below from ${backfill} for update`,
      indexRange: rollupInsert('postgres', this.prefix, this.table, `where id >= ? and id < ? and ${NOT_TURN}`),
      setWatermark: `update ${backfill} set below = ?`,
      finish: `delete from ${backfill}`,
    };
  }

  /** Rolls up the records stored before the rollups. */
  rollUpStoredRecords(): Promise<void> {
    return backfillInSteps(this.database, this.rollupBackfillStatements, () => this.closing);
  }

  /** rollUpStoredRecords in the background (the gateway), until done or closed; `onError` hears a failure. */
  startRollupBackfill(onError: (error: unknown) => void): void {
    this.rollupBackfill = this.rollUpStoredRecords().catch(onError);
  }

  protected rollupWatermark(): string {
    return `select below from ${this.prefix}request_log_rollups_backfill`;
  }

  protected tagTableComplete(): boolean {
    return this.tagsComplete;
  }

  /** Checks, while it is not, whether the tag table has caught up; content search has no index here. */
  protected async prepareFor(filter: LogFilter): Promise<boolean> {
    if (!this.tagsComplete && filter.metadata !== undefined) this.tagsComplete = (await this.reads.query(this.tagBackfillStatements.watermark)).length === 0;
    return false;
  }

  /**
   * Runs a page's reads through the tag table with merge joins. PostgreSQL estimates a join of two
   * tags' (ts, log_id) lists at one row (it multiplies the two equalities' selectivities), so it
   * hashed both lists whole, on parallel workers, even for a page of 50 it could have merged from
   * the newest end of each: at a million records 240 ms for a page and 210 ms for the count,
   * against 3 ms and 30–80 ms merged.
   */
  protected override readingPage<T>(byTags: boolean, work: (reads: SqlDatabase) => Promise<T>): Promise<T> {
    if (!byTags) return work(this.reads);
    return this.reads.transaction(async (transaction) => {
      await transaction.execute('set local enable_hashjoin = off');
      await transaction.execute('set local max_parallel_workers_per_gather = 0');
      return work(transaction);
    });
  }

  /**
   * A join on (ts, log_id), which PostgreSQL merges from the tags' index-only ranges, already in
   * that order; its `intersect` hashed both lists instead (at a million records, 195,000 and
   * 122,000 entries: 319 ms against 30).
   */
  protected taggedIds(filter: LogFilter, params: SqlValue[]): string {
    const tags = filter.metadata ?? [];
    const joins = tags.slice(1).map((_, index) => ` join ${this.tags} as t${index + 1} on t${index + 1}.ts = t0.ts and t${index + 1}.log_id = t0.log_id`);
    const conditions = tags.map(({ key, value }, index) => {
      params.push(tagOf(key, value));
      return `t${index}.tag = ?${timeRange(`t${index}.ts`, filter, params)}`;
    });
    return `select t0.log_id from ${this.tags} as t0${joins.join('')} where ${conditions.join(' and ')}`;
  }

  protected metadataConditions(filter: LogFilter, kind: string, clauses: string[], params: SqlValue[]): void {
    // The tag table only for tags alone: with another filter, that filter's index and the GIN
    // containment below found the rows faster than joining the tags' lists (at 200,000 records, two
    // tags and a model: 35 against 235 ms).
    if (this.tagsComplete && kind === 'request' && onlyTags(filter)) {
      // `+id`: a membership test, so the planner keeps walking an index in the page's order.
      clauses.push(`+id in (${this.taggedIds(filter, params)})`);
      return;
    }
    for (const { key, value } of filter.metadata ?? []) {
      // Containment rather than `->>` so the GIN index (jsonb_path_ops) answers it; values are strings.
      clauses.push('metadata @> ?::jsonb');
      params.push(JSON.stringify({ [key]: value }));
    }
  }

  protected textCondition(text: string, _textIndexed: boolean, _textChooses: boolean, params: SqlValue[]): string {
    return contentLike('ilike', text, params);
  }

  protected groupColumn(dimension: string, key: string | undefined, name: string, params: SqlValue[]): string {
    if (key === undefined) return `${dimension} as ${name}`;
    params.push(key);
    return `metadata->>?::text as ${name}`;
  }
}
