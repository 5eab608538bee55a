import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { HotHistogram } from '../../src/observability/metrics/hot-metrics.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

test('a HotHistogram reads as prom-client\'s Histogram: text format, JSON and the cluster\'s aggregation', async () => {
  const expected = new Registry();
  const actual = new Registry();
  const labelled = new Histogram({ name: 'x_seconds', help: 'Help with "quotes".', labelNames: ['provider', 'model'], buckets: BUCKETS, registers: [expected] });
  labelled.reset();
  const bare = new Histogram({ name: 'y_seconds', help: 'y', labelNames: [], buckets: BUCKETS, registers: [expected] });
  bare.reset();
  const hotLabelled = new HotHistogram('x_seconds', 'Help with "quotes".', ['provider', 'model'], BUCKETS, actual);
  const hotBare = new HotHistogram('y_seconds', 'y', [], BUCKETS, actual);
  // Nothing observed: no series, as the labelled metrics always had.
  assert.equal(await actual.metrics(), await expected.metrics());
  // Values on bounds, between them, below the first and above the last; a label value to escape.
  const values = [0.001, 0.005, 0.0051, 0.3, 7, 11, 0.01, 2.5, 0.6, 0];
  values.forEach((value, index) => {
    const provider = index % 2 === 0 ? 'anth"ropic' : 'openai';
    const model = index % 3 === 0 ? 'claude' : 'gpt';
    labelled.labels(provider, model).observe(value);
    hotLabelled.observe(value, provider, model);
    bare.observe(value);
    hotBare.observe(value, '');
  });
  assert.equal(await actual.metrics(), await expected.metrics());
  // As JSON: prom-client's sums and counts hold an `exemplar: undefined` that no serialization keeps.
  assert.equal(JSON.stringify(await actual.getMetricsAsJSON()), JSON.stringify(await expected.getMetricsAsJSON()));
  const aggregated = async (registry: Registry) => (await AggregatorRegistry.aggregate([await registry.getMetricsAsJSON(), await registry.getMetricsAsJSON()]).metrics());
  assert.equal(await aggregated(actual), await aggregated(expected));
  // A non-finite value is not counted (prom-client throws; an observer must never break a request).
  hotBare.observe(Number.NaN, '');
  assert.equal(await actual.metrics(), await expected.metrics());
  actual.resetMetrics();
  expected.resetMetrics();
  assert.equal(await actual.metrics(), await expected.metrics());
});
