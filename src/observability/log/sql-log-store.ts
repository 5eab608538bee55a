import { migrate } from '../storage/migrations.js';
import type { SqlDatabase, SqlValue } from '../storage/sql-database.js';
import { compareRows } from './aggregate-records.js';
import { metadataKeyOf, type AggregateQuery, type AggregateRow, type LogFilter, type LogQuery } from './log-filter.js';
import type { LogCursor, LogPage, LogScanPage, LogStore } from './log-store.js';
import { postgresBatchInsert, postgresBatchJson } from './postgres-batch.js';
import { postgresTagRows, REQUEST_LOG_MIGRATIONS, tagRows, textRows } from './request-log-migrations.js';
import { deleteInSteps, type SqliteRetentionStatements } from './sqlite-retention.js';
import { backfillInSteps, type BackfillStatements } from './backfill-in-steps.js';
import { recordValues, STORED_COLUMNS } from './record-values.js';
import { RECORD_COLUMNS, type RequestRecord } from './request-record.js';

/**
 * Records per insert statement on SQLite (bench:log-writes): one statement per record paid the
 * statement's start and the binding call for each; a few dozen per statement amortize both while
 * keeping the parameter count (34 each) far below SQLite's limit.
 */
const SQLITE_INSERT_CHUNK = 32;

/** See SqlLogStore.sqliteBatch. */
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
}

/** The request log on SQLite or PostgreSQL (`<prefix>request_logs`). */
export class SqlLogStore implements LogStore {
  private readonly table: string;
  /** Request records' metadata tags, for tag filters (SQLite migration 4, PostgreSQL migration 7). */
  private readonly tags: string;
  /** SQLite only (migration 6): whether the content index holds every stored record's bodies. */
  private textComplete = false;
  /** The PostgreSQL batch insert (postgres-batch.ts), made on first use. */
  private postgresInsert: string | undefined;
  /** Whether the tag table holds every request record's tags (SQLite: always; PostgreSQL: once migration 7's backfill is done, for good). */
  private tagsComplete: boolean;
  /** PostgreSQL's tag backfill, when started in the background (startTagBackfill). */
  private tagBackfill: Promise<void> | undefined;
  private closing = false;

  /**
   * `reads`: where queries, scans and aggregations run (by default the same connection); on an
   * SQLite file, a reader thread (SqliteReader).
   */
  constructor(
    private readonly database: SqlDatabase,
    private readonly prefix = 'tollgate_',
    private readonly reads: SqlDatabase & { close?(): Promise<void> } = database,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`invalid table prefix ${prefix}`);
    this.table = `${prefix}request_logs`;
    this.tags = `${prefix}request_log_tags`;
    this.tagsComplete = database.dialect === 'sqlite';
  }

  migrate(): Promise<void> {
    return migrate(this.database, this.prefix, 'request_log', REQUEST_LOG_MIGRATIONS);
  }

  /** Stops the tag table's backfill and the reader thread, when reads have one (the gateway's connection is the storage's to close). */
  async close(): Promise<void> {
    this.closing = true;
    await this.tagBackfill;
    if (this.reads !== this.database) await this.reads.close?.();
  }

  /**
   * How a batch is written on SQLite, as statements, so a writer on another connection
   * (sqlite-insert-worker.ts) does exactly what `insert` does: note the last id, insert the rows
   * (`chunk` per statement), then fill the tag table from the new rows in one statement (a
   * statement per tag cost a third more per record).
   */
  get sqliteBatch(): SqliteBatchStatements {
    return {
      lastId: `select max(id) as id from ${this.table}`,
      insert: `insert or fail into ${this.table} (${STORED_COLUMNS.join(', ')}) values `,
      chunk: SQLITE_INSERT_CHUNK,
      row: `(${STORED_COLUMNS.map(() => '?').join(', ')})`,
      columns: STORED_COLUMNS.length,
      tags: `${tagRows(this.prefix)} and logs.id > ?`,
      text: `${textRows(this.prefix)} and logs.id > ?`,
      contentColumns: [STORED_COLUMNS.indexOf('request_content'), STORED_COLUMNS.indexOf('response_content')],
    };
  }

  async insert(records: readonly RequestRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.database.dialect === 'postgres') {
      // One statement, so no transaction around it (see postgres-batch.ts).
      this.postgresInsert ??= postgresBatchInsert(this.table, this.prefix);
      await this.database.execute(this.postgresInsert, [postgresBatchJson(records)]);
      return;
    }
    const batch = this.sqliteBatch;
    await this.database.transaction(async (transaction) => {
      const last = (await transaction.query<{ id: number | null }>(batch.lastId))[0]?.id ?? 0;
      for (let start = 0; start < records.length; start += batch.chunk) {
        const chunk = records.slice(start, start + batch.chunk);
        await transaction.execute(batch.insert + chunk.map(() => batch.row).join(', '), chunk.flatMap((record) => this.values(record)));
      }
      await transaction.execute(batch.tags, [last]);
      // Content logging is off by default; then the content index has nothing to take.
      if (records.some((record) => record.request_content !== null || record.response_content !== null)) await transaction.execute(batch.text, [last]);
    });
  }

  async query(query: LogQuery): Promise<LogPage> {
    await this.checkTags(query.filter);
    // A page walks an index in its order and stops after `limit` matches: content matches are
    // only tested there (see where()). The count reads every match.
    const textIndexed = await this.textIndexedFor(query.filter);
    const where = this.where(query.filter, textIndexed, false);
    const column = query.sort === 'timestamp' ? 'ts' : query.sort;
    const direction = query.order === 'asc' ? 'asc' : 'desc';
    // `nulls last` only where nulls can occur: an index read backwards gives PostgreSQL nulls first, so the clause would cost a sort.
    const nulls = nullsPossible(query) ? ' nulls last' : '';
    const order = `order by ${column} ${direction}${nulls}, id ${direction}`;
    // Request records by tags alone: the tag table pages and counts them without visiting a record.
    const byTags = this.tagsComplete && onlyTags(query.filter);
    const pageParams: SqlValue[] = [];
    // The page's ids first, from the index where one covers filter and order, then only those rows:
    // selecting every column up front made SQLite read and sort whole rows for all the matches.
    const pagedByTags = byTags && query.sort === 'timestamp';
    const pageIds = pagedByTags ? this.taggedPage(query.filter, direction, pageParams) : `select id from ${this.table}${where.sql} ${order} limit ? offset ?`;
    return this.readingTags(byTags, async (reads) => {
      const rows = await reads.query<Record<string, unknown>>(
        `select ${STORED_COLUMNS.join(', ')} from ${this.table} where id in (${pageIds}) ${order}`,
        [...(pagedByTags ? pageParams : where.params), query.limit, query.offset],
      );
      const tagParams: SqlValue[] = [];
      const counted = byTags
        ? await reads.query<{ total: number | string }>(`select count(*) as total from (${this.taggedIds(query.filter, tagParams)}) as matches`, tagParams)
        : await this.countMatches(query.filter, textIndexed);
      return { logs: rows.map((row) => this.toRecord(row)), total: Number(counted[0]?.total ?? 0) };
    });
  }

  /**
   * Runs a page's reads; on PostgreSQL, when they go through the tag table, with merge joins.
   * PostgreSQL estimates a join of two tags' (ts, log_id) lists at one row (it multiplies the two
   * equalities' selectivities), so it hashed both lists whole, on parallel workers, even for a page
   * of 50 it could have merged from the newest end of each: at a million records 240 ms for a page
   * and 210 ms for the count, against 3 ms and 30–80 ms merged.
   */
  private readingTags<T>(byTags: boolean, work: (reads: SqlDatabase) => Promise<T>): Promise<T> {
    if (!byTags || this.reads.dialect !== 'postgres') return work(this.reads);
    return this.reads.transaction(async (transaction) => {
      await transaction.execute('set local enable_hashjoin = off');
      await transaction.execute('set local max_parallel_workers_per_gather = 0');
      return work(transaction);
    });
  }

  async scan(filter: LogFilter, order: 'asc' | 'desc', limit: number, after: LogCursor | undefined): Promise<LogScanPage> {
    await this.checkTags(filter);
    const where = this.where(filter, await this.textIndexedFor(filter), false);
    const direction = order === 'asc' ? 'asc' : 'desc';
    let sql = where.sql;
    const params = [...where.params];
    if (after !== undefined) {
      const beyond = direction === 'asc' ? '>' : '<';
      sql += `${sql === '' ? ' where' : ' and'} (ts ${beyond} ? or (ts = ? and id ${beyond} ?))`;
      params.push(after.ts, after.ts, after.id);
    }
    const ordering = `order by ts ${direction}, id ${direction}`;
    const rows = await this.reads.query<Record<string, unknown>>(
      `select id, ${STORED_COLUMNS.join(', ')} from ${this.table} where id in (select id from ${this.table}${sql} ${ordering} limit ?) ${ordering}`,
      [...params, limit],
    );
    const last = rows[rows.length - 1];
    return { logs: rows.map((row) => this.toRecord(row)), next: rows.length < limit || last === undefined ? undefined : { ts: Number(last.ts), id: Number(last.id) } };
  }

  private countMatches(filter: LogFilter, textIndexed: boolean): Promise<{ total: number | string }[]> {
    const where = this.where(filter, textIndexed);
    return this.reads.query<{ total: number | string }>(`select count(*) as total from ${this.table}${where.sql}`, where.params);
  }

  async aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    await this.checkTags(query.filter);
    const where = this.where(query.filter, await this.textIndexedFor(query.filter));
    // Dimensions are selected as g0, g1, … (metadata paths are bound parameters, never spliced in).
    const selectParams: SqlValue[] = [];
    const selected = query.groupBy.map((dimension, index) => {
      const key = metadataKeyOf(dimension);
      // SQLite: unary + (a no-op) keeps the planner from walking an index just because it is sorted by the
      // group column, reading the whole table instead of the rows the filter's index finds.
      if (key === undefined) return `${this.database.dialect === 'sqlite' ? '+' : ''}${dimension} as g${index}`;
      selectParams.push(this.database.dialect === 'sqlite' ? `$."${key}"` : key);
      return this.database.dialect === 'sqlite' ? `json_extract(metadata, ?) as g${index}` : `metadata->>?::text as g${index}`;
    });
    if (query.bucketMs !== undefined) {
      const width = Math.trunc(query.bucketMs);
      selected.push(`(ts / ${width}) * ${width} as bucket`);
    }
    const groupBy = selected.length === 0 ? '' : ` group by ${selected.map((_, index) => index + 1).join(', ')}`;
    const sums = [
      'count(*) as requests',
      'sum(case when status >= 400 then 1 else 0 end) as errors',
      'coalesce(sum(input_tokens), 0) as input_tokens',
      'coalesce(sum(output_tokens), 0) as output_tokens',
      'coalesce(sum(total_tokens), 0) as total_tokens',
      'coalesce(sum(cost_usd), 0) as cost_usd',
    ];
    const rows = await this.reads.query<Record<string, unknown>>(`select ${[...selected, ...sums].join(', ')} from ${this.table}${where.sql}${groupBy}`, [...selectParams, ...where.params]);
    return rows
      .filter((row) => Number(row.requests) > 0)
      .map((row) => {
        const group: AggregateRow['group'] = {};
        query.groupBy.forEach((dimension, index) => {
          const value = row[`g${index}`];
          group[dimension] = dimension === 'stream' ? toBoolean(value) : NUMERIC_COLUMNS.has(dimension) && typeof value === 'string' ? Number(value) : ((value ?? null) as string | number | null);
        });
        const requests = Number(row.requests);
        const errors = Number(row.errors);
        return {
          bucket: query.bucketMs === undefined ? null : new Date(Number(row.bucket)).toISOString(),
          group,
          requests,
          errors,
          error_rate: errors / requests,
          input_tokens: Number(row.input_tokens),
          output_tokens: Number(row.output_tokens),
          total_tokens: Number(row.total_tokens),
          cost_usd: Number(row.cost_usd),
        };
      })
      .sort(compareRows);
  }

  async deleteBefore(epochMs: number): Promise<number> {
    if (this.database.dialect === 'sqlite') return deleteInSteps(this.database, this.sqliteRetention, epochMs);
    const deleted = await this.database.execute(`delete from ${this.table} where ts < ?`, [epochMs]);
    // One statement, whatever the number of distinct tags: the server reads the table, in its own process.
    await this.database.execute(`delete from ${this.tags} where ts < ?`, [epochMs]);
    return deleted;
  }

  /** How the content index catches up with records stored before it (see backfillInSteps). */
  get sqliteTextBackfill(): BackfillStatements {
    const backfill = `${this.prefix}request_log_text_backfill`;
    return {
      watermark: `select below from ${backfill}`,
      indexRange: `${textRows(this.prefix)} and logs.id >= ? and logs.id < ?`,
      setWatermark: `update ${backfill} set below = ?`,
      finish: `delete from ${backfill}`,
    };
  }

  /** Indexes the content of records stored before the content index (SQLite; the writer thread does it for a file). */
  indexStoredText(): Promise<void> {
    return this.database.dialect === 'sqlite' ? backfillInSteps(this.database, this.sqliteTextBackfill) : Promise.resolve();
  }

  /** How PostgreSQL's tag table catches up with records stored before it (migration 7, see backfillInSteps). */
  private get postgresTagBackfill(): BackfillStatements {
    const backfill = `${this.prefix}request_log_tags_backfill`;
    return {
      watermark: `select below from ${backfill}`,
      indexRange: `${postgresTagRows(this.prefix, `(select id, ts, kind, metadata from ${this.table} where id >= ? and id < ?)`)} on conflict do nothing`,
      setWatermark: `update ${backfill} set below = ?`,
      finish: `delete from ${backfill}`,
    };
  }

  /**
   * Adds the tags of records stored before the tag table to it (PostgreSQL; SQLite's migration
   * 4 did it at once). Other replicas may be doing the same: the rows are the same, and taken once.
   */
  indexStoredTags(): Promise<void> {
    return this.database.dialect === 'postgres' ? backfillInSteps(this.database, this.postgresTagBackfill, () => this.closing) : Promise.resolve();
  }

  /** indexStoredTags in the background (the gateway), until done or closed; `onError` hears a failure. */
  startTagBackfill(onError: (error: unknown) => void): void {
    this.tagBackfill = this.indexStoredTags().catch(onError);
  }

  /** Whether tag filters may use the tag table: on PostgreSQL once it holds every record's tags (checked while it does not). */
  private async checkTags(filter: LogFilter): Promise<void> {
    if (this.tagsComplete || filter.metadata === undefined) return;
    this.tagsComplete = (await this.reads.query(this.postgresTagBackfill.watermark)).length === 0;
  }

  /** Whether `filter`'s content search can use the content index: SQLite, and every stored record's bodies in it (once true, for good). */
  private async textIndexedFor(filter: LogFilter): Promise<boolean> {
    if (filter.text === undefined || this.database.dialect !== 'sqlite') return false;
    if (!this.textComplete) this.textComplete = (await this.reads.query(this.sqliteTextBackfill.watermark)).length === 0;
    return this.textComplete;
  }

  /** How a retention sweep runs on SQLite (see deleteInSteps), also on the writer thread. */
  get sqliteRetention(): SqliteRetentionStatements {
    return {
      records: `delete from ${this.table} where id in (select id from ${this.table} where kind = ? and ts < ? limit ?)`,
      kinds: ['request', 'attempt'],
      nextTag: `select tag from ${this.tags} where tag > ? order by tag limit 1`,
      tagRows: `delete from ${this.tags} where tag = ? and ts < ?`,
      // Only request records carry bodies (attempt records never do).
      text: `delete from ${this.prefix}request_log_text where rowid in (select id from ${this.table} where kind = 'request' and ts < ? and (request_content is not null or response_content is not null))`,
    };
  }

  /**
   * One page of ids of request records carrying every tag, in time order, from the tag table alone:
   * the first tag's entries are walked in (ts, id) order and each is looked up under the other tags,
   * so a page costs about as many steps as it takes to find its rows. Pushes its parameters but the
   * limit and offset.
   */
  private taggedPage(filter: LogFilter, direction: 'asc' | 'desc', params: SqlValue[]): string {
    const [first, ...others] = filter.metadata!;
    let sql = `select first.log_id from ${this.tags} as first where first.tag = ?`;
    params.push(tagOf(first!.key, first!.value));
    sql += timeRange('first.ts', filter, params);
    others.forEach(({ key, value }, index) => {
      sql += ` and exists (select 1 from ${this.tags} as other${index} where other${index}.tag = ? and other${index}.ts = first.ts and other${index}.log_id = first.log_id)`;
      params.push(tagOf(key, value));
    });
    return `${sql} order by first.ts ${direction}, first.log_id ${direction} limit ? offset ?`;
  }

  /** Ids of request records carrying every tag in the filter's time range (the tag table); pushes its parameters. */
  private taggedIds(filter: LogFilter, params: SqlValue[]): string {
    if (this.database.dialect === 'postgres') {
      // A join on (ts, log_id), which PostgreSQL merges from the tags' index-only ranges, already in
      // that order; its `intersect` hashed both lists instead (at a million records, 195,000 and
      // 122,000 entries: 319 ms against 30).
      const tags = filter.metadata ?? [];
      const joins = tags.slice(1).map((_, index) => ` join ${this.tags} as t${index + 1} on t${index + 1}.ts = t0.ts and t${index + 1}.log_id = t0.log_id`);
      const conditions = tags.map(({ key, value }, index) => {
        params.push(tagOf(key, value));
        return `t${index}.tag = ?${timeRange(`t${index}.ts`, filter, params)}`;
      });
      return `select t0.log_id from ${this.tags} as t0${joins.join('')} where ${conditions.join(' and ')}`;
    }
    const selects: string[] = [];
    for (const { key, value } of filter.metadata ?? []) {
      const sql = `select ts, log_id from ${this.tags} where tag = ?`;
      params.push(tagOf(key, value));
      selects.push(sql + timeRange('ts', filter, params));
    }
    // Intersecting (ts, log_id), the key's own order under one tag, merges the lists without sorting them.
    return `select log_id from (${selects.join(' intersect ')}) as tagged`;
  }

  /** A record as the insert's parameters (see recordValues). */
  values(record: RequestRecord): SqlValue[] {
    return recordValues(record);
  }

  private toRecord(row: Record<string, unknown>): RequestRecord {
    const record: Record<string, unknown> = {};
    for (const column of RECORD_COLUMNS) {
      if (column === 'timestamp') record.timestamp = new Date(Number(row.ts)).toISOString();
      else if (column === 'metadata') record.metadata = typeof row.metadata === 'string' ? JSON.parse(row.metadata) : (row.metadata ?? {});
      else if (column === 'stream') record.stream = toBoolean(row.stream);
      else {
        const value = row[column];
        // PostgreSQL returns bigint columns as strings.
        record[column] = typeof value === 'string' && NUMERIC_COLUMNS.has(column) ? Number(value) : (value ?? null);
      }
    }
    return record as unknown as RequestRecord;
  }

  /**
   * The filter as a where clause. `textIndexed`: whether content search may use the SQLite content
   * index (every record's bodies are in it). `textChooses`: whether that index
   * picks the rows (each match then looked up: best over all time, 40 ms for 29,000 matches at a
   * million records) or only tests the rows another index picks (best for a page, which stops
   * after `limit` of them, and for a time range: counting a week took 19 ms against 40). By
   * default it picks them unless a time range bounds the filter.
   */
  private where(filter: LogFilter, textIndexed: boolean, textChooses = filter.from === undefined && filter.to === undefined): { sql: string; params: SqlValue[] } {
    const clauses: string[] = [];
    const params: SqlValue[] = [];
    const kind = filter.kind ?? 'request';
    if (kind !== 'all') {
      clauses.push('kind = ?');
      params.push(kind);
    } else {
      // Both kinds by name: every index leads with kind (migration 3).
      clauses.push('kind in (?, ?)');
      params.push('request', 'attempt');
    }
    const anyOf = (column: string, values: readonly SqlValue[] | undefined) => {
      if (values === undefined) return;
      clauses.push(values.length === 1 ? `${column} = ?` : `${column} in (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    const compare = (column: string, operator: string, value: number | undefined) => {
      if (value === undefined) return;
      clauses.push(`${column} ${operator} ?`);
      params.push(value);
    };
    if (filter.requestId !== undefined) anyOf('request_id', [filter.requestId]);
    compare('ts', '>=', filter.from);
    compare('ts', '<', filter.to);
    anyOf('provider', filter.providers);
    anyOf('model', filter.models);
    anyOf('virtual_key_id', filter.virtualKeys);
    anyOf('team_id', filter.teams);
    anyOf('customer_id', filter.customers);
    // On PostgreSQL only for tags alone: with another filter, that filter's index and the GIN
    // containment below found the rows faster than joining the tags' lists (at 200,000 records, two
    // tags and a model: 35 against 235 ms).
    if (this.tagsComplete && kind === 'request' && filter.metadata !== undefined && (this.database.dialect === 'sqlite' || onlyTags(filter))) {
      // `+id`: a membership test, so the planner keeps walking an index in the page's order.
      clauses.push(`+id in (${this.taggedIds(filter, params)})`);
    } else for (const { key, value } of filter.metadata ?? []) {
      if (this.database.dialect === 'sqlite') {
        clauses.push('json_extract(metadata, ?) = ?');
        params.push(`$."${key.replaceAll('"', '')}"`, value);
      } else {
        // Containment rather than `->>` so the GIN index (jsonb_path_ops) answers it; values are strings.
        clauses.push('metadata @> ?::jsonb');
        params.push(JSON.stringify({ [key]: value }));
      }
    }
    anyOf('status', filter.statuses);
    if (filter.outcome === 'success') clauses.push('status < 400');
    if (filter.outcome === 'error') clauses.push('status >= 400');
    anyOf('error_code', filter.errorCodes);
    anyOf('error_type', filter.errorTypes);
    anyOf('stop_reason', filter.stopReasons);
    anyOf('cache_hit', filter.cacheHits);
    compare('latency_ms', '>=', filter.minLatencyMs);
    compare('latency_ms', '<=', filter.maxLatencyMs);
    compare('total_tokens', '>=', filter.minTokens);
    compare('total_tokens', '<=', filter.maxTokens);
    compare('cost_usd', '>=', filter.minCostUsd);
    compare('cost_usd', '<=', filter.maxCostUsd);
    if (filter.stream !== undefined) anyOf('stream', [filter.stream]);
    if (filter.text !== undefined && textIndexed && [...filter.text].length >= 3) {
      // The content index (migration 6): a phrase of the trigram tokenizer is a case-insensitive substring.
      // The unary `+` keeps the planner from driving the query from the index's matches.
      clauses.push(`${textChooses ? '' : '+'}id in (select rowid from ${this.prefix}request_log_text where ${this.prefix}request_log_text match ?)`);
      params.push(`"${filter.text.replaceAll('"', '""')}"`);
    } else if (filter.text !== undefined) {
      const like = this.database.dialect === 'sqlite' ? 'like' : 'ilike';
      const pattern = `%${filter.text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
      clauses.push(`(request_content ${like} ? escape '\\' or response_content ${like} ? escape '\\')`);
      params.push(pattern, pattern);
    }
    return { sql: clauses.length === 0 ? '' : ` where ${clauses.join(' and ')}`, params };
  }
}

/** A tag as the SQLite tag table spells it: the key in hex (as SQLite's hex() of UTF-8 text, see tagRows), `=`, the value. */
function tagOf(key: string, value: string): string {
  return `${Buffer.from(key).toString('hex').toUpperCase()}=${value}`;
}

/** Whether a filter asks for request records by metadata tags (and a time range) and nothing else. */
function onlyTags(filter: LogFilter): boolean {
  if (filter.metadata === undefined || (filter.kind ?? 'request') !== 'request') return false;
  return Object.entries(filter).every(([name, value]) => name === 'metadata' || name === 'kind' || name === 'from' || name === 'to' || value === undefined);
}

/** Whether the sort column may hold nulls among the matches (never for non-null columns, nor under a range filter on it). */
function nullsPossible(query: LogQuery): boolean {
  const { filter } = query;
  switch (query.sort) {
    case 'timestamp':
    case 'latency_ms':
    case 'status':
      return false;
    case 'cost_usd':
      return filter.minCostUsd === undefined && filter.maxCostUsd === undefined;
    case 'total_tokens':
      return filter.minTokens === undefined && filter.maxTokens === undefined;
    default:
      return true;
  }
}

const NUMERIC_COLUMNS = new Set<string>(['attempt', 'status', 'latency_ms', 'ttft_ms', 'input_tokens', 'cached_input_tokens', 'cache_write_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens', 'cost_usd', 'attempts']);

function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}

/** ` and <column> >= ? and <column> < ?` for the filter's time range (either bound may be absent); pushes its parameters. */
function timeRange(column: string, filter: LogFilter, params: SqlValue[]): string {
  let sql = '';
  if (filter.from !== undefined) {
    sql += ` and ${column} >= ?`;
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    sql += ` and ${column} < ?`;
    params.push(filter.to);
  }
  return sql;
}
