import assert from 'node:assert/strict';
import { test } from 'node:test';
import { providerSchema } from '../../src/config/provider-schema.js';
import { ResilientRouter } from '../../src/routing/resilient-router.js';
import { GatewayError } from '../../src/spec/index.js';
import { context, drive, plan, provider, targetOf, testRouter, upstreamError } from './router-fixtures.js';

const fast = { retry: { base_backoff_ms: 100, max_backoff_ms: 1_000 } };

test('5xx and network errors retry the same target with growing, jittered backoff, preferring another key', async () => {
  const { router, waits } = testRouter(fast);
  const target = targetOf(provider('p', { keys: ['k1', 'k2'], maxRetries: 3 }), 'm');
  const errors = [upstreamError('upstream_error', 503), new GatewayError('upstream_unreachable', 'refused', { retryable: true }), upstreamError('upstream_error', 502)];
  const { tried, thrown } = await drive(router, plan([{ targets: [target] }]), (_target, index) => errors[index]);
  assert.equal(thrown, undefined);
  assert.equal(tried.length, 4);
  assert.ok(tried.every((each) => each.ref === 'p/m'));
  assert.notEqual(tried[0]!.key!.id, tried[1]!.key!.id, 'the retry moves to the key that has not failed');
  assert.equal(waits.length, 3);
  assert.ok(waits[0]! >= 50 && waits[0]! <= 100, `first backoff ${waits[0]}`);
  assert.ok(waits[1]! >= 100 && waits[1]! <= 200, `second backoff ${waits[1]}`);
  assert.ok(waits[2]! >= 200 && waits[2]! <= 400, `third backoff ${waits[2]}`);
});

test('a 429 rotates to another key at once; with no other key it waits out Retry-After', async () => {
  const { router, waits } = testRouter(fast);
  const twoKeys = targetOf(provider('p', { keys: ['k1', 'k2'] }), 'm');
  const rotated = await drive(router, plan([{ targets: [twoKeys] }]), (_target, index) => (index === 0 ? upstreamError('upstream_rate_limited', 429, { retryAfterMs: 1_500 }) : undefined));
  assert.equal(rotated.tried.length, 2);
  assert.notEqual(rotated.tried[0]!.key!.id, rotated.tried[1]!.key!.id);
  assert.deepEqual(waits, []);

  const oneKey = targetOf(provider('q', { keys: ['only'] }), 'm');
  const waited = await drive(router, plan([{ targets: [oneKey] }]), (_target, index) => (index === 0 ? upstreamError('upstream_rate_limited', 429, { retryAfterMs: 1_500 }) : undefined));
  assert.equal(waited.tried.length, 2);
  assert.equal(waited.tried[1]!.key!.id, 'only');
  assert.deepEqual(waits, [1_500]);
});

test('a 429 without Retry-After on the only key backs off, then tries that key again', async () => {
  const { router, waits } = testRouter(fast);
  const oneKey = targetOf(provider('q', { keys: ['only'], maxRetries: 1 }), 'm');
  const { tried, thrown } = await drive(router, plan([{ targets: [oneKey] }]), (_target, index) => (index === 0 ? upstreamError('upstream_rate_limited', 429) : undefined));
  assert.equal(thrown, undefined);
  assert.deepEqual(tried.map((each) => each.key!.id), ['only', 'only']);
  assert.equal(waits.length, 1);
  assert.ok(waits[0]! >= 50 && waits[0]! <= 100, `backoff ${waits[0]}`);
  // Without Retry-After the key is not rested: one 429 is one failure on its circuit.
  assert.equal(router.health.key('q', oneKey.provider.keys[0]!).breaker.state(0), 'closed');
});

test('a Retry-After longer than max_retry_after_ms moves on to the fallback instead of waiting', async () => {
  const { router, waits } = testRouter({ retry: { max_retry_after_ms: 2_000 } });
  const primary = targetOf(provider('primary', { keys: ['k'] }), 'm');
  const backup = targetOf(provider('backup'), 'm');
  const { tried, context: request } = await drive(router, plan([{ targets: [primary] }, { targets: [backup] }]), (target) => (target.ref === 'primary/m' ? upstreamError('upstream_rate_limited', 429, { retryAfterMs: 60_000 }) : undefined));
  assert.deepEqual(tried.map((each) => each.ref), ['primary/m', 'backup/m']);
  assert.deepEqual(waits, []);
  assert.equal(request.responseHeaders['x-tollgate-fallbacks'], '1');
  // The key sits out its Retry-After; the next request goes straight to the fallback.
  const next = await drive(router, plan([{ targets: [primary] }, { targets: [backup] }]), () => undefined);
  assert.deepEqual(next.tried.map((each) => each.ref), ['backup/m']);
});

test('401/403/402 cool the key down and rotate at once without using a retry; all keys refused → auth error, then no attempts', async () => {
  const { router, clock, waits } = testRouter({ keys: { auth_cooldown_ms: 60_000 } });
  const target = targetOf(provider('p', { keys: ['k1', 'k2', 'k3'], maxRetries: 0 }), 'm');
  const refused = await drive(router, plan([{ targets: [target] }]), (_target, index) => upstreamError('upstream_auth_failed', [401, 403, 402][index]!, { status: 502 }));
  assert.equal(refused.tried.length, 3, 'max_retries 0, yet every key is tried');
  assert.equal(new Set(refused.tried.map((each) => each.key!.id)).size, 3);
  assert.deepEqual(waits, []);
  assert.equal(refused.thrown?.code, 'upstream_auth_failed');
  assert.match(refused.thrown!.message, /after 3 attempts/);

  const cooled = await drive(router, plan([{ targets: [target] }]), () => undefined);
  assert.equal(cooled.tried.length, 0);
  assert.equal(cooled.thrown?.code, 'no_target_available');
  assert.match(cooled.thrown!.message, /every key is cooling down/);
  assert.ok(cooled.thrown!.retryAfterMs! > 59_000);

  clock.now += 60_001;
  const recovered = await drive(router, plan([{ targets: [target] }]), () => undefined);
  assert.equal(recovered.tried.length, 1);
});

test('400/404/413/422 never retry and never fall back', async () => {
  for (const status of [400, 404, 413, 422]) {
    const { router, waits } = testRouter();
    const { tried, thrown } = await drive(router, plan([{ targets: [targetOf(provider('a'), 'm')] }, { targets: [targetOf(provider('b'), 'm')] }]), () => upstreamError('upstream_error', status, { status, retryable: false }));
    assert.equal(tried.length, 1, `status ${status}`);
    assert.equal(thrown?.upstreamStatus, status);
    assert.deepEqual(waits, []);
  }
});

test('each fallback target gets its own retries; max_attempts caps the whole request', async () => {
  const { router } = testRouter({ retry: { base_backoff_ms: 0, max_attempts: 5 } });
  const groups = plan([{ targets: [targetOf(provider('a', { maxRetries: 1 }), 'm')] }, { targets: [targetOf(provider('b', { maxRetries: 1 }), 'm')] }, { targets: [targetOf(provider('c', { maxRetries: 1 }), 'm')] }]);
  const { tried, thrown, context: request } = await drive(router, groups, () => upstreamError('upstream_error', 500));
  assert.deepEqual(tried.map((each) => each.ref), ['a/m', 'a/m', 'b/m', 'b/m', 'c/m']);
  assert.equal(thrown?.code, 'upstream_error');
  assert.match(request.responseHeaders['x-tollgate-attempt-trail']!, /a\/m 500 upstream_error/);
});

test('the most relevant error wins: an upstream 429 over a later connection error, with the shortest Retry-After', async () => {
  const { router } = testRouter({ retry: { base_backoff_ms: 0 } });
  const groups = plan([{ targets: [targetOf(provider('a', { keys: ['k'], maxRetries: 0 }), 'm')] }, { targets: [targetOf(provider('b', { maxRetries: 0 }), 'm')] }]);
  const { thrown } = await drive(router, groups, (target) => (target.ref === 'a/m' ? upstreamError('upstream_rate_limited', 429, { retryAfterMs: 30_000 }) : new GatewayError('upstream_unreachable', 'connection refused', { retryable: true })));
  assert.equal(thrown?.code, 'upstream_rate_limited');
  assert.equal(thrown?.retryAfterMs, 30_000);
  assert.match(thrown!.message, /a\/m\[key k\] 429 upstream_rate_limited, b\/m 0 upstream_unreachable|after 2 attempts/);
});

test('a governance refusal skips the target without touching its health', async () => {
  const { router } = testRouter();
  const limited = targetOf(provider('limited'), 'm');
  const groups = plan([{ targets: [limited] }, { targets: [targetOf(provider('open'), 'm')] }]);
  for (let index = 0; index < 10; index++) {
    const { tried } = await drive(router, groups, (target) => (target.ref === 'limited/m' ? new GatewayError('budget_exceeded', 'provider budget spent') : undefined));
    assert.deepEqual(tried.map((each) => each.ref), ['limited/m', 'open/m']);
  }
  assert.equal(router.health.target(limited).breaker.state(0), 'closed');
});

test('x-tollgate-timeout-ms overrides first-byte and idle timeouts; connect and total stay; a malformed value is refused', async () => {
  const providers = { p: providerSchema.parse({ type: 'mock', timeout_ms: 60_000, timeouts: { connect_ms: 2_000, first_byte_ms: 30_000, total_ms: 120_000 } }) };
  const router = new ResilientRouter({ providers, maxTimeoutOverrideMs: 10_000 });
  const target = targetOf(provider('p'), 'm');
  const configured = await router.start(context(), plan([{ targets: [target] }])).next(undefined);
  assert.deepEqual(configured!.timeouts, { connectMs: 2_000, firstByteMs: 30_000, idleMs: 60_000, totalMs: 120_000 });
  const overridden = await router.start(context({ 'x-tollgate-timeout-ms': '1500' }), plan([{ targets: [target] }])).next(undefined);
  assert.deepEqual(overridden!.timeouts, { connectMs: 2_000, firstByteMs: 1_500, idleMs: 1_500, totalMs: 120_000 });
  for (const value of ['soon', '0', '10001', '1.5']) {
    assert.throws(() => router.start(context({ 'x-tollgate-timeout-ms': value }), plan([{ targets: [target] }])), (error: GatewayError) => error.code === 'invalid_request' && error.param === 'x-tollgate-timeout-ms', value);
  }
});
