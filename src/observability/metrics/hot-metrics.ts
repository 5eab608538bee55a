import type { Metric, Registry } from 'prom-client';

/** One rendered sample, as prom-client's registry reads it. */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
  sharedLabels?: Record<string, string>;
}

/** What the registry reads from a metric at scrape time. */
interface Rendered {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

const SEPARATOR = '\u0000';

/** The series key of up to five label values, in the metric's label order. */
function seriesKey(a: string, b: string | undefined, c: string | undefined, d: string | undefined, e: string | undefined): string {
  if (b === undefined) return a;
  if (c === undefined) return a + SEPARATOR + b;
  if (d === undefined) return a + SEPARATOR + b + SEPARATOR + c;
  if (e === undefined) return a + SEPARATOR + b + SEPARATOR + c + SEPARATOR + d;
  return a + SEPARATOR + b + SEPARATOR + c + SEPARATOR + d + SEPARATOR + e;
}

function labelsOf(names: readonly string[], a: string, b: string | undefined, c: string | undefined, d: string | undefined, e: string | undefined): Record<string, string> {
  const values = [a, b, c, d, e];
  const labels: Record<string, string> = {};
  for (let index = 0; index < names.length; index++) labels[names[index]!] = values[index] ?? '';
  return labels;
}

/**
 * Counters and histograms written on every request. prom-client's own metrics validate and hash
 * the label object on each call; these find their series with one Map lookup by the joined label
 * values and hand prom-client's registry the same series shape at scrape time (they implement the
 * part of its metric interface the registry reads), so `/metrics` renders them exactly as before.
 * Up to five labels, passed positionally in `labelNames` order; a metric without labels passes ''.
 */
abstract class HotMetric<Series> {
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  protected find(a: string, b: string | undefined, c: string | undefined, d: string | undefined, e: string | undefined): Series {
    const key = seriesKey(a, b, c, d, e);
    let found = this.series.get(key);
    if (found === undefined) {
      found = this.create(this.labelNames.length === 0 ? {} : labelsOf(this.labelNames, a, b, c, d, e));
      this.series.set(key, found);
    }
    return found;
  }

  protected abstract create(labels: Record<string, string>): Series;
}

interface CounterSeries {
  readonly labels: Record<string, string>;
  value: number;
}

export class HotCounter extends HotMetric<CounterSeries> {
  readonly type = 'counter' as const;

  inc(amount: number, a: string, b?: string, c?: string, d?: string, e?: string): void {
    this.find(a, b, c, d, e).value += amount;
  }

  get(): Rendered {
    const values: Sample[] = [];
    for (const series of this.series.values()) values.push({ labels: series.labels, value: series.value });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  protected create(labels: Record<string, string>): CounterSeries {
    return { labels, value: 0 };
  }
}

interface HistogramSeries {
  readonly labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class HotHistogram extends HotMetric<HistogramSeries> {
  readonly type = 'histogram' as const;

  constructor(name: string, help: string, labelNames: readonly string[], private readonly bounds: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  observe(value: number, a: string, b?: string, c?: string, d?: string, e?: string): void {
    const series = this.find(a, b, c, d, e);
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += value;
    series.count++;
  }

  get(): Rendered {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      let cumulative = 0;
      for (let index = 0; index < this.bounds.length; index++) {
        cumulative += series.counts[index]!;
        values.push(shared({ le: this.bounds[index]! }, cumulative, bucketName, series.labels));
      }
      values.push(shared({ le: '+Inf' }, series.count, bucketName, series.labels));
      values.push(shared({}, series.sum, `${this.name}_sum`, series.labels));
      values.push(shared({}, series.count, `${this.name}_count`, series.labels));
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  protected create(labels: Record<string, string>): HistogramSeries {
    return { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }
}

/** A value whose series labels follow its own (`le` first), as prom-client's histograms render them. */
function shared(labels: Record<string, string | number>, value: number, metricName: string, sharedLabels: Record<string, string>): Sample {
  return { labels, value, metricName, sharedLabels };
}
