import { HISTOGRAM_COLUMNS, latencyBucketSql } from './latency-histogram.js';

/**
 * The request log's rollups (`<prefix>request_log_rollups`, migration 12): per span (an hour, a
 * day) and per combination of the dimensions below, the sums an aggregate answers with and a
 * latency histogram. Kept by the batch insert itself (the same transaction on SQLite, the same
 * statement on PostgreSQL); an aggregate reads whole spans from here and only the partial hours at
 * its range's edges from the records (rollup-plan.ts). Agent turns are left out, as every aggregate
 * leaves them out.
 *
 * The dimensions are those the console's overview groups and filters by. Others (surface,
 * requested_model, stop_reason, stream, metadata tags) would multiply the rows: an aggregate that
 * names one reads the records. Hourly rows alone barely shrink a log whose hours each hold a few
 * requests per key and model (at a million records over a month: 505,000 hourly rows against
 * 1,000,000 records), hence the daily rows.
 */
export const ROLLUP_DIMENSIONS = ['kind', 'operation', 'provider', 'model', 'virtual_key_id', 'team_id', 'customer_id', 'status', 'error_code', 'error_type', 'cache_hit'] as const;

/** Rollup spans, widest first: a day, an hour (both aligned to the Unix epoch, as aggregate buckets are). */
export const ROLLUP_SPANS = [86_400_000, 3_600_000] as const;

/** The summed columns: [rollup column, its sum over records]. `errors`: records with status >= 400. */
export const ROLLUP_SUMS: readonly (readonly [column: string, sum: string])[] = [
  ['requests', 'count(*)'],
  ['errors', 'sum(case when status >= 400 then 1 else 0 end)'],
  ['input_tokens', 'coalesce(sum(input_tokens), 0)'],
  ['output_tokens', 'coalesce(sum(output_tokens), 0)'],
  ['total_tokens', 'coalesce(sum(total_tokens), 0)'],
  ['cost_usd', 'coalesce(sum(cost_usd), 0)'],
  ['images', 'coalesce(sum(images), 0)'],
  ['characters', 'coalesce(sum(characters), 0)'],
  ['audio_seconds', 'coalesce(sum(audio_seconds), 0)'],
  ['search_units', 'coalesce(sum(search_units), 0)'],
  ['cache_saved_usd', 'coalesce(sum(cache_saved_usd), 0)'],
];

/** Aggregates leave an agent request's turns out (chat records with a parent): the request carries their sum. */
export const NOT_TURN = "not (kind = 'request' and parent_request_id is not null and operation = 'chat')";

/** The record columns a rollup reads. */
const SOURCE_COLUMNS = ['id', 'ts', 'parent_request_id', 'latency_ms', ...new Set([...ROLLUP_DIMENSIONS, ...ROLLUP_SUMS.map(([column]) => column).filter((column) => column !== 'requests' && column !== 'errors')])];

function table(dialect: 'sqlite' | 'postgres'): string {
  const integer = dialect === 'sqlite' ? 'integer' : 'bigint';
  const real = dialect === 'sqlite' ? 'real' : 'double precision';
  const dimensions = ROLLUP_DIMENSIONS.map((dimension) => `${dimension} ${dimension === 'status' ? 'integer not null' : dimension === 'kind' || dimension === 'operation' ? 'text not null' : 'text'}`);
  const sums = ROLLUP_SUMS.map(([column]) => `${column} ${column.endsWith('_usd') || column === 'audio_seconds' ? real : integer} not null`);
  // 4-byte counts: an hour's or a day's requests of one group fit.
  const histogram = HISTOGRAM_COLUMNS.map((column) => `${column} integer not null`);
  // `dims`: the dimensions as one JSON array, the key (a unique key over nullable columns would
  // take two rows with the same nulls for two different groups).
  return `create table if not exists {prefix}request_log_rollups (span ${integer} not null, start ${integer} not null, dims text not null, ${[...dimensions, ...sums, ...histogram].join(', ')}, primary key (span, start, dims))${dialect === 'sqlite' ? ' without rowid' : ' partition by list (span)'}`;
}

/**
 * PostgreSQL keeps each span's rows in a partition of its own: in one heap, a month's daily rows
 * lay among ten times as many hourly ones, and reading them read most of the table (30 days by
 * key at a million records: 274 ms against 73 ms from the daily partition alone). Pages are left
 * 30% free, so that adding a batch to a row mostly rewrites it in place (a HOT update: 96% of them
 * against 73%) instead of leaving a dead copy and a new index entry.
 */
function partitions(): string[] {
  return ROLLUP_SPANS.map((span) => `create table if not exists {prefix}request_log_rollups_${span === 86_400_000 ? 'day' : 'hour'} partition of {prefix}request_log_rollups for values in (${span}) with (fillfactor = 70)`);
}

/** Migration 12: the rollup table, and the id below which records are not rolled up yet (none for an empty log). */
export function rollupMigration(dialect: 'sqlite' | 'postgres'): string[] {
  const integer = dialect === 'sqlite' ? 'integer' : 'bigint';
  return [
    table(dialect),
    ...(dialect === 'postgres' ? partitions() : []),
    `create table if not exists {prefix}request_log_rollups_backfill (below ${integer} not null)`,
    'insert into {prefix}request_log_rollups_backfill (below) select id + 1 from {prefix}request_logs order by id desc limit 1',
  ];
}

/**
 * Adds records to the rollups: `source` names rows with the record columns (a table or a CTE),
 * `where` chooses them (it must also leave turns out: see NOT_TURN). One statement for both spans:
 * the records are summed per hour, group and latency bucket first, then those sums per span and
 * group, each latency bucket's count going to its histogram column. Counting the histogram from
 * the records directly (a `sum(lb = i)` per bucket and span) cost 22 µs of CPU per record against
 * 16 this way (the statement alone, batches of 300 at a million records on SQLite).
 */
export function rollupInsert(dialect: 'sqlite' | 'postgres', prefix: string, source: string, where: string): string {
  const rollups = `${prefix}request_log_rollups`;
  const dimensions = ROLLUP_DIMENSIONS.join(', ');
  const dims = dialect === 'sqlite' ? `json_array(${dimensions})` : `json_build_array(${dimensions})::text`;
  const hour = ROLLUP_SPANS[ROLLUP_SPANS.length - 1]!;
  const spans = ROLLUP_SPANS.map((span) => `select ${span} as span`).join(' union all ');
  const columns = ['span', 'start', 'dims', ...ROLLUP_DIMENSIONS, ...ROLLUP_SUMS.map(([column]) => column), ...HISTOGRAM_COLUMNS];
  // PostgreSQL's count is a bigint, whose sums are numeric: as integers they added up 60 times per row several times faster.
  const count = dialect === 'postgres' ? 'count(*)::integer' : 'count(*)';
  const hourly = `(select (ts / ${hour}) * ${hour} as hour, ${dimensions}, ${latencyBucketSql(dialect, 'latency_ms')} as lb, ${count} as n, ${ROLLUP_SUMS.map(([column, sum]) => `${sum} as ${column}`).join(', ')}
    from ${source} ${where} group by ${Array.from({ length: ROLLUP_DIMENSIONS.length + 2 }, (_, index) => index + 1).join(', ')}) as hourly`;
  const select = [
    'spans.span',
    '(hourly.hour / spans.span) * spans.span',
    dims,
    ...ROLLUP_DIMENSIONS,
    ...ROLLUP_SUMS.map(([column]) => `sum(${column})`),
    ...HISTOGRAM_COLUMNS.map((_, index) => `sum(case when lb = ${index} then n else 0 end)`),
  ];
  const updates = columns.slice(3 + ROLLUP_DIMENSIONS.length).map((column) => `${column} = ${rollups}.${column} + excluded.${column}`);
  // Ordered by key, so batches of two PostgreSQL replicas lock shared rows in the same order.
  const order = dialect === 'postgres' ? ' order by 1, 2, 3' : '';
  return `insert into ${rollups} (${columns.join(', ')})
    select ${select.join(', ')} from ${hourly}, (${spans}) as spans where true
    group by spans.span, (hourly.hour / spans.span) * spans.span, ${dimensions}${order}
    on conflict (span, start, dims) do update set ${updates.join(', ')}`;
}

/** The record columns the rollup insert reads (a PostgreSQL batch's `returning` list). */
export const ROLLUP_SOURCE_COLUMNS: readonly string[] = SOURCE_COLUMNS;
