import { Counter, type Registry } from 'prom-client';

const SEPARATOR = '\u0000';

/** The series key of up to five label values, in the metric's label order. */
function seriesKey(a: string, b: string | undefined, c: string | undefined, d: string | undefined, e: string | undefined): string {
  if (b === undefined) return a;
  if (c === undefined) return a + SEPARATOR + b;
  if (d === undefined) return a + SEPARATOR + b + SEPARATOR + c;
  if (e === undefined) return a + SEPARATOR + b + SEPARATOR + c + SEPARATOR + d;
  return a + SEPARATOR + b + SEPARATOR + c + SEPARATOR + d + SEPARATOR + e;
}

/**
 * A counter written on every request. prom-client's `inc` (a labelled child's too) hashes and
 * validates the label object on every call; here a request adds to its series' pending amount
 * (one Map lookup), and prom-client's own `collect` hook, run at each scrape, hands the amounts to
 * the Counter with its public `inc(labels, amount)`. `/metrics` renders exactly as a plain Counter.
 */
export class HotCounter {
  private readonly series = new Map<string, { labels: Record<string, string>; pending: number }>();
  private readonly counter: Counter<string>;

  constructor(name: string, help: string, private readonly labelNames: readonly string[], registry: Registry) {
    const series = this.series;
    this.counter = new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const entry of series.values()) {
          if (entry.pending === 0) continue;
          this.inc(entry.labels, entry.pending);
          entry.pending = 0;
        }
      },
    });
  }

  inc(amount: number, a: string, b?: string, c?: string, d?: string, e?: string): void {
    const key = seriesKey(a, b, c, d, e);
    let entry = this.series.get(key);
    if (entry === undefined) {
      const values = [a, b, c, d, e];
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, index) => (labels[name] = values[index] ?? ''));
      entry = { labels, pending: 0 };
      this.series.set(key, entry);
      // The series appears at the next scrape even while its amount is still 0.
      this.counter.inc(labels, 0);
    }
    entry.pending += amount;
  }
}

/** One labelled series of a HotHistogram: per-bucket counts (not cumulative), sum and count. */
class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    buckets: number,
  ) {
    this.counts = new Float64Array(buckets);
  }
}

/** A value of a metric as prom-client's Registry reads it (`get`, `getForPromString`). */
interface MetricValue {
  labels: Record<string, string | number>;
  exemplar?: null;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
}

/**
 * A histogram written on every request (several per request). prom-client's `observe`, a labelled
 * child's too, builds a label object, validates and hashes it, and counts into an object keyed by
 * the bucket's bound, turning the bound into a property name each time; here a request finds its
 * series with one Map lookup and adds to a typed array. The metric is registered in prom-client's
 * Registry as any metric is (`registerMetric`: `get` for JSON and the cluster's aggregation,
 * `getForPromString` for the text format), its values in exactly the shape and order prom-client's
 * Histogram gives them, so `/metrics` reads the same. Like the labelled metrics before it, a series
 * appears once observed.
 */
export class HotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, HistogramSeries>();
  private readonly upperBounds: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.upperBounds = [...buckets].sort((left, right) => left - right);
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(value: number, a: string, b?: string, c?: string, d?: string, e?: string): void {
    if (!Number.isFinite(value)) return;
    const key = seriesKey(a, b, c, d, e);
    let series = this.series.get(key);
    if (series === undefined) {
      const values = [a, b, c, d, e];
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, index) => (labels[name] = values[index] ?? ''));
      series = new HistogramSeries(labels, this.upperBounds.length);
      this.series.set(key, series);
    }
    const bounds = this.upperBounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    if (bucket < bounds.length) series.counts[bucket]!++;
    series.sum += value;
    series.count++;
  }

  /** For the text format: each value's own labels (`le`) apart from its series' labels, as prom-client's Histogram gives them. */
  getForPromString(): { name: string; help: string; type: string; values: MetricValue[]; aggregator: string } {
    return { name: this.name, help: this.help, type: this.type, values: this.values(false), aggregator: this.aggregator };
  }

  /** For JSON and the cluster's aggregation: the labels of each value whole. */
  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: string }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values: this.values(true), aggregator: this.aggregator });
  }

  reset(): void {
    this.series.clear();
  }

  private values(splayed: boolean): MetricValue[] {
    const values: MetricValue[] = [];
    const bucketName = `${this.name}_bucket`;
    // Buckets carry `exemplar: null`, sums and counts none, as prom-client's own values.
    const value = (own: Record<string, string | number>, labels: Record<string, string>, amount: number, metricName: string, bucket: boolean): MetricValue =>
      splayed
        ? { value: amount, metricName, ...(bucket ? { exemplar: null } : {}), labels: { ...own, ...labels } }
        : { labels: own, sharedLabels: labels, value: amount, metricName };
    for (const series of this.series.values()) {
      let cumulative = 0;
      for (let index = 0; index < this.upperBounds.length; index++) {
        cumulative += series.counts[index]!;
        values.push(value({ le: this.upperBounds[index]! }, series.labels, cumulative, bucketName, true));
      }
      values.push(value({ le: '+Inf' }, series.labels, series.count, bucketName, true));
      values.push(value({}, series.labels, series.sum, `${this.name}_sum`, false));
      values.push(value({}, series.labels, series.count, `${this.name}_count`, false));
    }
    return values;
  }
}
