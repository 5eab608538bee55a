import assert from 'node:assert/strict';
import { test } from 'node:test';
import { circuitBreakerSchema } from '../../src/config/routing-schema.js';
import { CircuitBreaker } from '../../src/routing/circuit-breaker.js';
import { PeakEwma } from '../../src/routing/peak-ewma.js';

const config = circuitBreakerSchema.parse({ consecutive_failures: 3, error_ratio: 0.5, min_requests: 10, window_ms: 10_000, open_ms: 1_000 });

test('opens after consecutive failures, lets one half-open probe through, closes on its success', () => {
  const breaker = new CircuitBreaker(config);
  breaker.failure(0, '503');
  breaker.failure(1, '503');
  assert.equal(breaker.state(2), 'closed');
  breaker.success(2);
  breaker.failure(3, '503');
  breaker.failure(4, '503');
  assert.equal(breaker.state(5), 'closed', 'a success in between resets the run');
  breaker.failure(5, '503');
  assert.equal(breaker.state(6), 'open');
  assert.equal(breaker.allows(500), false);
  assert.match(breaker.reason ?? '', /3 failures in a row/);
  assert.equal(breaker.state(1_005), 'half-open');
  assert.equal(breaker.allows(1_005), true);
  breaker.begin(1_005);
  assert.equal(breaker.allows(1_006), false, 'only one probe at a time');
  breaker.success(1_050);
  assert.equal(breaker.state(1_051), 'closed');
  assert.equal(breaker.allows(1_051), true);
});

test('a failed probe re-opens the circuit for another open period', () => {
  const breaker = new CircuitBreaker(config);
  for (let index = 0; index < 3; index++) breaker.failure(index, 'refused');
  breaker.begin(1_500);
  breaker.failure(1_600, 'refused');
  assert.equal(breaker.state(1_700), 'open');
  assert.equal(breaker.state(2_600), 'half-open');
});

test('an abandoned probe frees the half-open slot', () => {
  const breaker = new CircuitBreaker(config);
  for (let index = 0; index < 3; index++) breaker.failure(index, 'refused');
  breaker.begin(2_000);
  assert.equal(breaker.allows(2_000), false);
  breaker.abandon();
  assert.equal(breaker.allows(2_000), true);
});

test('opens on the error ratio over the window once enough requests were seen', () => {
  const breaker = new CircuitBreaker(config);
  // Alternate so there are never three failures in a row: 5 of 10 fail.
  for (let index = 0; index < 10; index++) {
    if (index % 2 === 0) breaker.failure(index * 100, '500');
    else breaker.success(index * 100);
  }
  assert.equal(breaker.state(1_000), 'closed', 'the 10th request was a success; the ratio is checked on failures');
  breaker.failure(1_000, '500');
  assert.equal(breaker.state(1_001), 'open');
  assert.match(breaker.reason ?? '', /6 of 11 requests failed/);
});

test('old failures leave the window', () => {
  const breaker = new CircuitBreaker(config);
  for (let index = 0; index < 9; index++) {
    if (index % 2 === 0) breaker.failure(index, '500');
    else breaker.success(index);
  }
  assert.deepEqual(breaker.window(20), { requests: 9, failed: 5 });
  assert.deepEqual(breaker.window(20_000), { requests: 0, failed: 0 });
  breaker.failure(20_000, '500');
  assert.equal(breaker.state(20_001), 'closed');
});

test('trip opens for a set time; a late success does not cut it short', () => {
  const breaker = new CircuitBreaker(config);
  breaker.trip(5_000, 'auth');
  breaker.success(100);
  assert.equal(breaker.state(200), 'open');
  assert.equal(breaker.remainingMs(1_000), 4_000);
  assert.equal(breaker.state(5_000), 'half-open');
});

test('a disabled breaker never opens on failures but still honours trips', () => {
  const breaker = new CircuitBreaker({ ...config, enabled: false });
  for (let index = 0; index < 50; index++) breaker.failure(index, '500');
  assert.equal(breaker.state(100), 'closed');
  breaker.trip(1_000, 'auth');
  assert.equal(breaker.state(200), 'open');
});

test('peak EWMA jumps to a slower observation at once and decays toward faster ones', () => {
  const latency = new PeakEwma(1_000);
  assert.equal(latency.estimate, undefined);
  latency.observe(100, 0);
  latency.observe(400, 10);
  assert.equal(latency.estimate, 400);
  latency.observe(100, 1_010);
  const after = latency.estimate!;
  assert.ok(after < 400 && after > 100, `decayed part way: ${after}`);
  for (let step = 2; step < 12; step++) latency.observe(100, step * 1_000);
  assert.ok(latency.estimate! < 101);
});

test('reconfigure changes thresholds and keeps the state', () => {
  const breaker = new CircuitBreaker(config);
  breaker.failure(0, '500');
  breaker.failure(1, '500');
  breaker.reconfigure({ ...config, consecutive_failures: 2 });
  assert.equal(breaker.consecutiveFailures, 2);
  breaker.failure(2, '500');
  assert.equal(breaker.state(3), 'open');
});

test('recover (a passed active health check) closes an open circuit before its open period is over', () => {
  const breaker = new CircuitBreaker(config);
  for (let index = 0; index < 3; index++) breaker.failure(index, '503');
  assert.equal(breaker.state(10), 'open');
  breaker.recover(10);
  assert.equal(breaker.state(11), 'closed');
  assert.equal(breaker.reason, undefined);
  assert.equal(breaker.consecutiveFailures, 0);
  breaker.failure(12, '503');
  breaker.failure(13, '503');
  assert.equal(breaker.state(14), 'closed', 'the run of failures starts again from zero');
});
