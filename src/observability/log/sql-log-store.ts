import type { ChargeScope, ChargeSum } from '../../pipeline/capabilities.js';
import { chargeConditions } from './charge-sum.js';
import { migrate } from '../../storage/migrations.js';
import type { SqlDatabase, SqlValue } from '../../storage/sql-database.js';
import { emptyPartial, mergePartials, SUMMED, type PartialRow } from './aggregate-records.js';
import { HISTOGRAM_COLUMNS, latencyBucketSql } from './latency-histogram.js';
import { dimensionClauses, planAggregate, rollupSelect } from './rollup-plan.js';
import { NOT_TURN, ROLLUP_SUMS } from './rollup-statements.js';
import { metadataKeyOf, type AggregateQuery, type AggregateRow, type LogFilter, type LogQuery } from './log-filter.js';
import type { LogCursor, LogPage, LogScanPage, LogStore } from './log-store.js';
import { REQUEST_LOG_MIGRATIONS } from './request-log-migrations.js';
import { recordValues, STORED_COLUMNS } from './record-values.js';
import { RECORD_COLUMNS, type RequestRecord } from './request-record.js';

/**
 * What reading the request log (`<prefix>request_logs`) has in common on SQLite and PostgreSQL:
 * pages, scans, aggregations and the filter's plain columns. Each backend's file
 * (sqlite-log-store.ts, postgres-log-store.ts) writes, sweeps and indexes its own way and supplies
 * the parts of a read that differ: tag filters, content search, metadata groups.
 */
export abstract class SqlLogStore implements LogStore {
  protected readonly table: string;
  /** Request records' metadata tags, for tag filters (SQLite migration 4, PostgreSQL migration 7). */
  protected readonly tags: string;
  /** Whether the rollups hold every record (once true, for good). */
  private rollupsReady = false;

  /**
   * `reads`: where queries, scans and aggregations run (by default the same connection); on an
   * SQLite file, a reader thread (SqliteReader).
   */
  constructor(
    protected readonly database: SqlDatabase,
    protected readonly prefix: string,
    protected readonly reads: SqlDatabase & { close?(): Promise<void> },
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`invalid table prefix ${prefix}`);
    this.table = `${prefix}request_logs`;
    this.tags = `${prefix}request_log_tags`;
  }

  abstract insert(records: readonly RequestRecord[]): Promise<number | void>;
  abstract deleteBefore(epochMs: number): Promise<number>;

  /** Whether the tag table holds every request record's tags, so tag filters may read it. */
  protected abstract tagTableComplete(): boolean;
  /** Readies what `filter` reads (a catch-up's progress); returns whether its content search may use a content index. */
  protected abstract prepareFor(filter: LogFilter): Promise<boolean>;
  /** Ids of request records carrying every tag of the filter in its time range, from the tag table; pushes its parameters. */
  protected abstract taggedIds(filter: LogFilter, params: SqlValue[]): string;
  /** The conditions for the filter's metadata tags (each `key = value`), besides the plain columns. */
  protected abstract metadataConditions(filter: LogFilter, kind: string, clauses: string[], params: SqlValue[]): void;
  /** The condition for the filter's content search. `textIndexed`, `textChooses`: see where(). */
  protected abstract textCondition(text: string, textIndexed: boolean, textChooses: boolean, params: SqlValue[]): string;
  /** The rollups' watermark (migration 12): a row while records stored before them are not rolled up yet. */
  protected abstract rollupWatermark(): string;
  /** A group-by column for `dimension` (a column, or a metadata key when `key` is set) named `name`; pushes its parameters. */
  protected abstract groupColumn(dimension: string, key: string | undefined, name: string, params: SqlValue[]): string;

  migrate(): Promise<void> {
    return migrate(this.database, this.prefix, 'request_log', REQUEST_LOG_MIGRATIONS);
  }

  /** Stops the reader thread, when reads have one (the gateway's connection is the storage's to close). */
  async close(): Promise<void> {
    if (this.reads !== this.database) await this.reads.close?.();
  }

  /** Runs a page's reads; `byTags`: whether they go through the tag table (PostgreSQL tunes its planner for that). */
  protected readingPage<T>(_byTags: boolean, work: (reads: SqlDatabase) => Promise<T>): Promise<T> {
    return work(this.reads);
  }

  async query(query: LogQuery): Promise<LogPage> {
    // A page walks an index in its order and stops after `limit` matches: content matches are
    // only tested there (see where()). The count reads every match.
    const textIndexed = await this.prepareFor(query.filter);
    const where = this.where(query.filter, textIndexed, false);
    const column = query.sort === 'timestamp' ? 'ts' : query.sort;
    const direction = query.order === 'asc' ? 'asc' : 'desc';
    // `nulls last` only where nulls can occur: an index read backwards gives PostgreSQL nulls first, so the clause would cost a sort.
    const nulls = nullsPossible(query) ? ' nulls last' : '';
    const order = `order by ${column} ${direction}${nulls}, id ${direction}`;
    // Request records by tags alone: the tag table pages and counts them without visiting a record.
    const byTags = this.tagTableComplete() && onlyTags(query.filter);
    const pageParams: SqlValue[] = [];
    // The page's ids first, from the index where one covers filter and order, then only those rows:
    // selecting every column up front made SQLite read and sort whole rows for all the matches.
    const pagedByTags = byTags && query.sort === 'timestamp';
    const pageIds = pagedByTags ? this.taggedPage(query.filter, direction, pageParams) : `select id from ${this.table}${where.sql} ${order} limit ? offset ?`;
    return this.readingPage(byTags, async (reads) => {
      const rows = await reads.query<Record<string, unknown>>(
        `select ${STORED_COLUMNS.join(', ')} from ${this.table} where id in (${pageIds}) ${order}`,
        [...(pagedByTags ? pageParams : where.params), query.limit, query.offset],
      );
      let counted: { total: number | string }[];
      if (byTags) {
        const tagParams: SqlValue[] = [];
        counted = await reads.query(`select count(*) as total from (${this.taggedIds(query.filter, tagParams)}) as matches`, tagParams);
      } else {
        const matches = this.where(query.filter, textIndexed);
        counted = await this.reads.query(`select count(*) as total from ${this.table}${matches.sql}`, matches.params);
      }
      return { logs: rows.map(toRecord), total: Number(counted[0]?.total ?? 0) };
    });
  }

  async scan(filter: LogFilter, order: 'asc' | 'desc', limit: number, after: LogCursor | undefined): Promise<LogScanPage> {
    const where = this.where(filter, await this.prepareFor(filter), false);
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
    return { logs: rows.map(toRecord), next: rows.length < limit || last === undefined ? undefined : { ts: Number(last.ts), id: Number(last.id) } };
  }

  /**
   * Sums per group and bucket. Whole days and hours of the range come from the rollups (migration
   * 12) once they hold every record, when they keep what the query filters and groups by
   * (rollup-plan.ts); the rest of the range from the records. Both give the same sums, and the same
   * latency histogram (latency-histogram.ts).
   */
  async aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    const plan = (await this.rollupsComplete()) ? planAggregate(query) : undefined;
    const percentiles = query.percentiles === true;
    if (plan === undefined || plan.rollups.length === 0) return mergePartials(await this.recordSums(query, query.filter), percentiles);
    const parts = await Promise.all([
      ...plan.records.map((range) => this.recordSums(query, { ...query.filter, from: range.from, to: range.to })),
      ...plan.rollups.map(async (range) => {
        const select = rollupSelect(this.prefix, query, range);
        return (await this.reads.query<Record<string, unknown>>(select.sql, select.params)).map((row) => this.partialOf(query, row));
      }),
    ]);
    return mergePartials(parts.flat(), percentiles);
  }

  private async rollupsComplete(): Promise<boolean> {
    if (!this.rollupsReady) this.rollupsReady = (await this.reads.query(this.rollupWatermark())).length === 0;
    return this.rollupsReady;
  }

  /** The records' sums per group and bucket, and for percentiles per latency bucket (`lb`, folded into the histogram). */
  private async recordSums(query: AggregateQuery, filter: LogFilter): Promise<PartialRow[]> {
    const where = this.where(filter, await this.prepareFor(filter));
    // Dimensions are selected as g0, g1, … (metadata paths are bound parameters, never spliced in).
    const selectParams: SqlValue[] = [];
    const selected = query.groupBy.map((dimension, index) => this.groupColumn(dimension, metadataKeyOf(dimension), `g${index}`, selectParams));
    if (query.bucketMs !== undefined) {
      const width = Math.trunc(query.bucketMs);
      selected.push(`(ts / ${width}) * ${width} as bucket`);
    }
    if (query.percentiles === true) selected.push(`${latencyBucketSql(this.database.dialect, 'latency_ms')} as lb`);
    const groupBy = selected.length === 0 ? '' : ` group by ${selected.map((_, index) => index + 1).join(', ')}`;
    const sums = ROLLUP_SUMS.map(([column, sum]) => `${sum} as ${column}`);
    const notTurns = `${where.sql === '' ? ' where' : ' and'} ${NOT_TURN}`;
    const rows = await this.reads.query<Record<string, unknown>>(`select ${[...selected, ...sums].join(', ')} from ${this.table}${where.sql}${notTurns}${groupBy}`, [...selectParams, ...where.params]);
    return rows.map((row) => {
      const part = this.partialOf(query, row);
      if (row.lb !== undefined) part.histogram[Number(row.lb)] = part.sums.requests;
      return part;
    });
  }

  /** A result row (`g0`, `g1`, …, `bucket`, the sums, maybe `h0`…) as a partial row. */
  private partialOf(query: AggregateQuery, row: Record<string, unknown>): PartialRow {
    const group: AggregateRow['group'] = {};
    query.groupBy.forEach((dimension, index) => {
      const value = row[`g${index}`];
      group[dimension] = dimension === 'stream' ? toBoolean(value) : NUMERIC_COLUMNS.has(dimension) && typeof value === 'string' ? Number(value) : ((value ?? null) as string | number | null);
    });
    const part = emptyPartial(query.bucketMs === undefined ? null : Number(row.bucket), group);
    // PostgreSQL returns sums of bigint as numeric text.
    for (const name of SUMMED) part.sums[name] = Number(row[name] ?? 0);
    if (row.h0 !== undefined) HISTOGRAM_COLUMNS.forEach((column, index) => (part.histogram[index] = Number(row[column] ?? 0)));
    return part;
  }

  async chargeSum(scope: ChargeScope, fromMs: number, toMs: number, throughId?: number): Promise<ChargeSum> {
    const where = chargeConditions(scope, fromMs, toMs, throughId);
    // Integers: SQLite adds them as int64, PostgreSQL's sum of bigint is numeric (text here); both exact.
    const rows = await this.reads.query<{ total: number | string | null; records: number | string }>(`select sum(charged_nano_usd) as total, count(*) as records from ${this.table} where ${where.sql}`, where.params);
    return { nanoUsd: Number(rows[0]?.total ?? 0), records: Number(rows[0]?.records ?? 0) };
  }

  async loggedRequestIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let start = 0; start < ids.length; start += 500) {
      const chunk = ids.slice(start, start + 500);
      const rows = await this.reads.query<{ request_id: string }>(`select distinct request_id from ${this.table} where kind = 'request' and request_id in (${chunk.map(() => '?').join(', ')})`, chunk);
      for (const row of rows) found.add(row.request_id);
    }
    return found;
  }

  /** A record as the insert's parameters (see recordValues). */
  values(record: RequestRecord): SqlValue[] {
    return recordValues(record);
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
    if (filter.sessionId !== undefined) anyOf('session_id', [filter.sessionId]);
    compare('ts', '>=', filter.from);
    compare('ts', '<', filter.to);
    dimensionClauses(filter, anyOf, clauses);
    if (filter.metadata !== undefined) this.metadataConditions(filter, kind, clauses, params);
    anyOf('stop_reason', filter.stopReasons);
    compare('latency_ms', '>=', filter.minLatencyMs);
    compare('latency_ms', '<=', filter.maxLatencyMs);
    compare('total_tokens', '>=', filter.minTokens);
    compare('total_tokens', '<=', filter.maxTokens);
    compare('cost_usd', '>=', filter.minCostUsd);
    compare('cost_usd', '<=', filter.maxCostUsd);
    if (filter.stream !== undefined) anyOf('stream', [filter.stream]);
    if (filter.text !== undefined) clauses.push(this.textCondition(filter.text, textIndexed, textChooses, params));
    return { sql: clauses.length === 0 ? '' : ` where ${clauses.join(' and ')}`, params };
  }
}

/** A tag as the tag tables spell it: the key in hex (as SQLite's hex() of UTF-8 text, see tagRows), `=`, the value. */
export function tagOf(key: string, value: string): string {
  return `${Buffer.from(key).toString('hex').toUpperCase()}=${value}`;
}

/** Whether a filter asks for request records by metadata tags (and a time range) and nothing else. */
export function onlyTags(filter: LogFilter): boolean {
  if (filter.metadata === undefined || (filter.kind ?? 'request') !== 'request') return false;
  return Object.entries(filter).every(([name, value]) => name === 'metadata' || name === 'kind' || name === 'from' || name === 'to' || value === undefined);
}

/** ` and <column> >= ? and <column> < ?` for the filter's time range (either bound may be absent); pushes its parameters. */
export function timeRange(column: string, filter: LogFilter, params: SqlValue[]): string {
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

/** A substring condition on both bodies with `operator` (`like`, or PostgreSQL's case-insensitive `ilike`); pushes its parameters. */
export function contentLike(operator: 'like' | 'ilike', text: string, params: SqlValue[]): string {
  const pattern = `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  params.push(pattern, pattern);
  return `(request_content ${operator} ? escape '\\' or response_content ${operator} ? escape '\\')`;
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

const NUMERIC_COLUMNS = new Set<string>(['attempt', 'status', 'latency_ms', 'ttft_ms', 'input_tokens', 'cached_input_tokens', 'cache_write_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens', 'cost_usd', 'attempts', 'charged_nano_usd', 'cache_similarity', 'cache_saved_usd', 'images', 'characters', 'audio_seconds', 'search_units', 'input_audio_tokens', 'output_audio_tokens']);

function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}

function toRecord(row: Record<string, unknown>): RequestRecord {
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
