/** Latency summary in milliseconds, from every recorded sample (no buckets, no sampling). */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Exact percentiles by the nearest-rank method over all samples: sorting a few hundred thousand
 * doubles takes milliseconds, so there is no reason to approximate.
 */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, mean: Number.NaN, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const sample of sorted) total += sample;
  return {
    count: sorted.length,
    mean: total / sorted.length,
    p50: nearestRank(sorted, 0.5),
    p90: nearestRank(sorted, 0.9),
    p99: nearestRank(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
  };
}

/** The smallest sample with at least `fraction` of all samples at or below it. */
export function nearestRank(sorted: Float64Array, fraction: number): number {
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1]!;
}

/** The median of a few values (used for RSS samples). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return nearestRank(Float64Array.from(values).sort(), 0.5);
}
