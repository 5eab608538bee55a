import type { SqlValue } from '../../storage/sql-database.js';
import { HISTOGRAM_COLUMNS } from './latency-histogram.js';
import type { AggregateQuery, LogFilter } from './log-filter.js';
import { ROLLUP_DIMENSIONS, ROLLUP_SPANS, ROLLUP_SUMS } from './rollup-statements.js';

/** A time range, epoch milliseconds, `to` exclusive; undefined: unbounded. */
export interface TimeRange {
  from: number | undefined;
  to: number | undefined;
}

/** Where an aggregate's range is read from: whole spans from the rollups, the rest from records. */
export interface RangePlan {
  records: TimeRange[];
  rollups: (TimeRange & { span: number })[];
}

/** The filters a rollup row can be tested against: its dimensions (and the time range). */
const ROLLUP_FILTERS = new Set<keyof LogFilter>(['kind', 'from', 'to', 'providers', 'models', 'virtualKeys', 'teams', 'customers', 'statuses', 'outcome', 'errorCodes', 'errorTypes', 'operations', 'cacheHits']);
const GROUPABLE = new Set<string>(ROLLUP_DIMENSIONS);

/**
 * How to read an aggregate: undefined when the rollups cannot answer it (a filter or group they do
 * not keep: metadata, content, ranges of latency, tokens or cost, stream…, or buckets that are not
 * whole hours), else the widest whole spans the range holds from the rollups (days, then the hours
 * beside them) and the partial hours at its edges from the records.
 */
export function planAggregate(query: AggregateQuery): RangePlan | undefined {
  for (const [name, value] of Object.entries(query.filter)) if (value !== undefined && !ROLLUP_FILTERS.has(name as keyof LogFilter)) return undefined;
  if (!query.groupBy.every((dimension) => GROUPABLE.has(dimension))) return undefined;
  // A rollup row lies within one bucket only if the bucket width is a whole number of its spans.
  const spans = ROLLUP_SPANS.filter((span) => query.bucketMs === undefined || query.bucketMs % span === 0);
  if (spans.length === 0) return undefined;
  const plan: RangePlan = { records: [], rollups: [] };
  split(query.filter.from ?? -Infinity, query.filter.to ?? Infinity, spans, plan);
  return plan;
}

function split(from: number, to: number, spans: readonly number[], plan: RangePlan): void {
  if (from >= to) return;
  const [span, ...narrower] = spans;
  if (span === undefined) {
    plan.records.push({ from: bound(from), to: bound(to) });
    return;
  }
  const start = Math.ceil(from / span) * span;
  const end = Math.floor(to / span) * span;
  if (start >= end) return split(from, to, narrower, plan);
  split(from, start, narrower, plan);
  plan.rollups.push({ span, from: bound(start), to: bound(end) });
  split(end, to, narrower, plan);
}

function bound(time: number): number | undefined {
  return Number.isFinite(time) ? time : undefined;
}

/**
 * The rollup rows of one span and range matching the filter, summed per group (`g0`, `g1`, …) and
 * bucket, with the histogram's counts: as an aggregate over records answers.
 */
/** The filters on the columns records and rollups both have (the rollups' dimensions), as `anyOf` calls and clauses. */
export function dimensionClauses(filter: LogFilter, anyOf: (column: string, values: readonly SqlValue[] | undefined) => void, clauses: string[]): void {
  anyOf('provider', filter.providers);
  anyOf('model', filter.models);
  anyOf('virtual_key_id', filter.virtualKeys);
  anyOf('team_id', filter.teams);
  anyOf('customer_id', filter.customers);
  anyOf('status', filter.statuses);
  if (filter.outcome === 'success') clauses.push('status < 400');
  if (filter.outcome === 'error') clauses.push('status >= 400');
  anyOf('error_code', filter.errorCodes);
  anyOf('error_type', filter.errorTypes);
  anyOf('operation', filter.operations);
  anyOf('cache_hit', filter.cacheHits);
}

export function rollupSelect(prefix: string, query: AggregateQuery, range: TimeRange & { span: number }): { sql: string; params: SqlValue[] } {
  const params: SqlValue[] = [range.span];
  const clauses = ['span = ?'];
  const filter = query.filter;
  if (range.from !== undefined) {
    clauses.push('start >= ?');
    params.push(range.from);
  }
  if (range.to !== undefined) {
    clauses.push('start < ?');
    params.push(range.to);
  }
  const kind = filter.kind ?? 'request';
  if (kind !== 'all') {
    clauses.push('kind = ?');
    params.push(kind);
  }
  const anyOf = (column: string, values: readonly SqlValue[] | undefined) => {
    if (values === undefined) return;
    clauses.push(`${column} in (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  dimensionClauses(filter, anyOf, clauses);
  const selected = query.groupBy.map((dimension, index) => `${dimension} as g${index}`);
  if (query.bucketMs !== undefined) {
    const width = Math.trunc(query.bucketMs);
    selected.push(`(start / ${width}) * ${width} as bucket`);
  }
  const groupBy = selected.length === 0 ? '' : ` group by ${selected.map((_, index) => index + 1).join(', ')}`;
  // The histogram's 60 sums cost about three times the others: only when asked for.
  const sums = [...ROLLUP_SUMS.map(([column]) => column), ...(query.percentiles === true ? HISTOGRAM_COLUMNS : [])].map((column) => `sum(${column}) as ${column}`);
  return { sql: `select ${[...selected, ...sums].join(', ')} from ${prefix}request_log_rollups where ${clauses.join(' and ')}${groupBy}`, params };
}
