import { metadataKeyOf, type AggregateQuery, type AggregateRow, type GroupDimension, type RecordDimension } from './log-filter.js';
import { summedUsdNumber } from '../../pricing/money.js';
import { histogramPercentile, LATENCY_BUCKETS, latencyBucket } from './latency-histogram.js';
import type { RequestRecord } from './request-record.js';

/** The sums an aggregate row adds up. */
export const SUMMED = ['requests', 'errors', 'input_tokens', 'output_tokens', 'total_tokens', 'cost_usd', 'images', 'characters', 'audio_seconds', 'search_units', 'cache_saved_usd'] as const;
export type Summed = (typeof SUMMED)[number];

/**
 * Part of an aggregate row: what one source (a range of records, a span of rollups) adds to one
 * group and bucket. `histogram`: latency counts per bucket (latency-histogram.ts).
 */
export interface PartialRow {
  /** Bucket start, epoch milliseconds; null without buckets. */
  bucket: number | null;
  group: AggregateRow['group'];
  sums: Record<Summed, number>;
  histogram: number[];
}

/** A partial row with nothing added yet. */
export function emptyPartial(bucket: number | null, group: AggregateRow['group']): PartialRow {
  const sums = {} as Record<Summed, number>;
  for (const name of SUMMED) sums[name] = 0;
  return { bucket, group, sums, histogram: new Array<number>(LATENCY_BUCKETS).fill(0) };
}

/**
 * Adds up the parts of each group and bucket into aggregate rows, ordered by bucket then group
 * values (as the SQL stores order theirs). Sums of costs are doubles: their noise stays out of the
 * answer (see summedUsdNumber), so the order of the additions does not show.
 */
export function mergePartials(parts: Iterable<PartialRow>, percentiles = false): AggregateRow[] {
  const merged = new Map<string, PartialRow>();
  for (const part of parts) {
    if (part.sums.requests === 0) continue;
    const key = JSON.stringify([part.bucket, part.group]);
    const row = merged.get(key);
    if (row === undefined) {
      merged.set(key, { bucket: part.bucket, group: part.group, sums: { ...part.sums }, histogram: [...part.histogram] });
      continue;
    }
    for (const name of SUMMED) row.sums[name] += part.sums[name];
    if (percentiles) for (let index = 0; index < LATENCY_BUCKETS; index++) row.histogram[index]! += part.histogram[index]!;
  }
  const rows: AggregateRow[] = [];
  for (const { bucket, group, sums, histogram } of merged.values()) {
    const row: AggregateRow = {
      bucket: bucket === null ? null : new Date(bucket).toISOString(),
      group,
      ...sums,
      error_rate: sums.errors / sums.requests,
      cost_usd: summedUsdNumber(sums.cost_usd),
      cache_saved_usd: summedUsdNumber(sums.cache_saved_usd),
    };
    if (percentiles) {
      row.latency_ms_p50 = histogramPercentile(histogram, 0.5);
      row.latency_ms_p95 = histogramPercentile(histogram, 0.95);
      row.latency_ms_p99 = histogramPercentile(histogram, 0.99);
    }
    rows.push(row);
  }
  return rows.sort(compareRows);
}

/** Aggregates records in memory, ordered by bucket then group values (as the SQL stores order theirs). */
export function aggregateRecords(records: readonly RequestRecord[], query: AggregateQuery): AggregateRow[] {
  const rows = new Map<string, PartialRow>();
  for (const record of records) {
    // An agent request's turns (chat records with a parent) are counted by their request, which carries their sum.
    if (record.kind === 'request' && record.parent_request_id !== null && record.operation === 'chat') continue;
    const bucketStart = query.bucketMs === undefined ? null : Math.floor(Date.parse(record.timestamp) / query.bucketMs) * query.bucketMs;
    const group: AggregateRow['group'] = {};
    for (const dimension of query.groupBy) group[dimension] = dimensionValue(record, dimension);
    const key = JSON.stringify([bucketStart, group]);
    let row = rows.get(key);
    if (row === undefined) {
      row = emptyPartial(bucketStart, group);
      rows.set(key, row);
    }
    const sums = row.sums;
    sums.requests++;
    if (record.status >= 400) sums.errors++;
    sums.input_tokens += record.input_tokens ?? 0;
    sums.output_tokens += record.output_tokens ?? 0;
    sums.total_tokens += record.total_tokens ?? 0;
    sums.cost_usd += record.cost_usd ?? 0;
    sums.images += record.images ?? 0;
    sums.characters += record.characters ?? 0;
    sums.audio_seconds += record.audio_seconds ?? 0;
    sums.search_units += record.search_units ?? 0;
    sums.cache_saved_usd += record.cache_saved_usd ?? 0;
    row.histogram[latencyBucket(record.latency_ms)]!++;
  }
  return mergePartials(rows.values(), query.percentiles === true);
}

function dimensionValue(record: RequestRecord, dimension: GroupDimension): string | number | boolean | null {
  const key = metadataKeyOf(dimension);
  if (key === undefined) return record[dimension as RecordDimension];
  return Object.hasOwn(record.metadata, key) ? record.metadata[key]! : null;
}

export function compareRows(left: AggregateRow, right: AggregateRow): number {
  if (left.bucket !== right.bucket) return (left.bucket ?? '') < (right.bucket ?? '') ? -1 : 1;
  const a = JSON.stringify(Object.values(left.group));
  const b = JSON.stringify(Object.values(right.group));
  return a < b ? -1 : a > b ? 1 : 0;
}
