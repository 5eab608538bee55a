import { Counter, Histogram, type Registry } from 'prom-client';

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
 * A prom-client metric written on every request, its labelled children (`metric.labels(…)`)
 * made once per label set and kept by the joined label values: a request finds its series with one
 * Map lookup instead of building a label object. Label values are passed positionally, up to five,
 * in `labelNames` order; a metric without labels passes ''. How many label sets there can be is
 * bounded by the label guards (label-guard.ts), so the map is too.
 */
abstract class LabelledChildren<Child> {
  private readonly children = new Map<string, Child>();

  constructor(private readonly labelCount: number) {}

  protected child(a: string, b: string | undefined, c: string | undefined, d: string | undefined, e: string | undefined): Child {
    const key = seriesKey(a, b, c, d, e);
    let found = this.children.get(key);
    if (found === undefined) {
      found = this.create([a, b, c, d, e].slice(0, this.labelCount) as string[]);
      this.children.set(key, found);
    }
    return found;
  }

  protected abstract create(values: string[]): Child;
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

export class HotHistogram extends LabelledChildren<Histogram.Internal<string>> {
  private readonly histogram: Histogram<string>;

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registry: Registry) {
    super(labelNames.length);
    this.histogram = new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [registry] });
    // Without labels prom-client starts the one series at zero; these metrics have always shown a
    // series only once it was observed (tollgate_gateway_overhead_seconds before the first request).
    this.histogram.reset();
  }

  observe(value: number, a: string, b?: string, c?: string, d?: string, e?: string): void {
    this.child(a, b, c, d, e).observe(value);
  }

  protected create(values: string[]): Histogram.Internal<string> {
    return this.histogram.labels(...values);
  }
}
