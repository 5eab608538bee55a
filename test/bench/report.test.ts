import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairedRatio, type ScenarioResult } from '../../bench/report.js';

function result(target: ScenarioResult['target'], roundThroughputs: number[]): ScenarioResult {
  const throughput = roundThroughputs.reduce((sum, value) => sum + value, 0) / roundThroughputs.length;
  return { scenario: 'c=50', concurrency: 50, target, throughput, roundThroughputs, latency: { count: 1, mean: 1, p50: 1, p90: 1, p99: 1, max: 1 }, failed: 0 };
}

test('pairedRatio: the median of the rounds\' ratios, which one slow round of one target does not move', () => {
  // Pooled, 240 vs 240 req/s reads 1.00×; round by round the first target was 1.25× twice.
  const paired = pairedRatio(result('cache-miss', [100, 100, 40]), result('cache-off', [80, 80, 80]));
  assert.deepEqual(paired, { median: 1.25, min: 0.5, max: 1.25 });
  // A machine that slowed down for both targets alike leaves every round's ratio as it was.
  assert.equal(pairedRatio(result('cache-hit', [300, 150, 300, 150, 300]), result('bare', [200, 100, 200, 100, 200]))?.median, 1.5);
});

test('pairedRatio: undefined under three rounds (the pooled ratio is reported then)', () => {
  assert.equal(pairedRatio(result('cache-miss', [100, 90]), result('cache-off', [100, 100])), undefined);
});
