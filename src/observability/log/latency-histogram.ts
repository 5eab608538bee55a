/**
 * The latency histogram behind the aggregates' percentiles: fixed buckets a tenth of a decade wide
 * (bucket `i` holds latencies in [10^(i/10), 10^((i+1)/10)) ms; the first also holds everything
 * under 1 ms, the last everything from 10^5.9 ms, about 13 minutes, up). Hourly rollups keep one
 * count per bucket, so a percentile over a month is read from counts instead of a million records;
 * ranges read from records are bucketed the same way, so both give the same answer.
 */
export const LATENCY_BUCKETS = 60;

/** The histogram's count columns, `h0` … `h59` (rollup table, aggregate queries). */
export const HISTOGRAM_COLUMNS: readonly string[] = Array.from({ length: LATENCY_BUCKETS }, (_, index) => `h${index}`);

/** Where the last, open-ended bucket starts (10^5.9 ms). */
const LAST_BUCKET_FROM = 10 ** ((LATENCY_BUCKETS - 1) / 10);

/** The bucket of a latency in milliseconds (as latencyBucketSql computes it in the databases). */
export function latencyBucket(latencyMs: number): number {
  if (!(latencyMs >= 1)) return 0;
  if (latencyMs >= LAST_BUCKET_FROM) return LATENCY_BUCKETS - 1;
  return Math.floor(Math.log10(latencyMs) * 10);
}

/**
 * The same bucket as an SQL expression over `column` (SQLite's log10, PostgreSQL's log of a double:
 * both base 10). The edges are irrational but for powers of ten, where both sides are exact.
 */
export function latencyBucketSql(dialect: 'sqlite' | 'postgres', column: string): string {
  const log = dialect === 'sqlite' ? `log10(${column})` : `log(${column}::double precision)`;
  return `(case when ${column} < 1 then 0 when ${column} >= ${LAST_BUCKET_FROM} then ${LATENCY_BUCKETS - 1} else cast(floor(${log} * 10) as integer) end)`;
}

/**
 * The `fraction` percentile (0.95 for p95) of a histogram by nearest rank: the geometric middle of
 * the bucket holding the record of rank ceil(fraction × count), to four significant digits: within
 * 12.2% (10^0.05) of that record's latency and at most 0.04% of rounding (12.24% in all), except in
 * the two open-ended buckets. (Rounded to a tenth of a millisecond instead, 2.48 ms read 2.2: 12.7%
 * off.) Null for an empty histogram.
 */
export function histogramPercentile(histogram: readonly number[], fraction: number): number | null {
  let total = 0;
  for (const count of histogram) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * total));
  let seen = 0;
  for (let index = 0; index < histogram.length; index++) {
    seen += histogram[index]!;
    if (seen >= rank) return Number((10 ** ((index + 0.5) / 10)).toPrecision(4));
  }
  return null;
}
