import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertsSchema } from '../../src/config/observability-schema.js';
import type { AnomalyAlert } from '../../src/observability/alerts/anomaly-alert.js';
import { AnomalyDetector } from '../../src/observability/alerts/anomaly-detector.js';
import { SoftActions } from '../../src/observability/alerts/soft-actions.js';
import { createContext, type RequestContext } from '../../src/pipeline/context.js';
import { GatewayError } from '../../src/spec/index.js';
import { startGateway } from '../helpers/gateway.js';

const HOUR = 3_600_000;
const START = Date.parse('2025-03-03T00:00:00Z');

/** A day where the key is busy from 09:00 to 11:00 UTC (`busy` requests per hour) and quiet otherwise. */
function day(detector: AnomalyDetector, clock: { now: number }, busy: number, quiet = 10): void {
  for (let hour = 0; hour < 24; hour++) {
    const count = hour >= 9 && hour < 11 ? busy : quiet;
    for (let index = 0; index < count; index++) {
      clock.now += Math.floor(HOUR / (count + 1));
      detector.observe({ keyId: 'key-a', teamId: null, customerId: null, costUsd: 0.001, promptHash: undefined });
    }
    clock.now = Math.ceil((clock.now + 1) / HOUR) * HOUR;
  }
}

function detectorWith(seasonal: boolean) {
  const clock = { now: START };
  const alerts: AnomalyAlert[] = [];
  const config = alertsSchema.parse({ enabled: true, factor: 3, min_windows: 3, min_requests: 10, min_spend_usd: 1, dedupe_seconds: 7200, seasonal: { enabled: seasonal, min_days: 3 } });
  return { clock, alerts, detector: new AnomalyDetector(config, (alert) => alerts.push(alert), () => clock.now) };
}

test('the hour-of-day profile keeps a daily morning peak from alerting once it has three days of history', () => {
  const seasonal = detectorWith(true);
  const flat = detectorWith(false);
  for (const { detector, clock } of [seasonal, flat]) for (let index = 0; index < 6; index++) day(detector, clock, 60);
  // Without the profile, every morning's ramp from a quiet night is a spike (deduped to one per hour-long dedupe period).
  assert.ok(flat.alerts.length >= 5, `flat baseline alerts: ${flat.alerts.length}`);
  // With it, only the first days (before the 09:00 slot has min_days of history) alert.
  const lastSeasonal = seasonal.alerts.at(-1);
  assert.ok(lastSeasonal !== undefined && Date.parse(lastSeasonal.time) < START + 3 * 24 * HOUR, JSON.stringify(seasonal.alerts.map((alert) => alert.time)));
  const countAfterLearning = seasonal.alerts.length;
  // A morning far above its usual level still alerts.
  day(seasonal.detector, seasonal.clock, 300);
  assert.equal(seasonal.alerts.length, countAfterLearning + 1);
  assert.equal(seasonal.alerts.at(-1)!.measures[0]!.measure, 'requests');
  assert.ok(seasonal.alerts.at(-1)!.measures[0]!.baseline >= 50, 'compared with the usual morning, not the night');
});

function request(keyId: string): RequestContext {
  const context = createContext({ id: 'req', surface: 'openai', operation: 'chat', method: 'POST', path: '/v1/chat/completions', headers: {}, clientAddress: undefined, signal: new AbortController().signal });
  context.principal = { keyId };
  return context;
}

function alertFor(keyId: string, scope: AnomalyAlert['scope'] = 'virtual_key'): AnomalyAlert {
  return { id: `usage_spike:${scope}:${keyId}:0`, kind: 'usage_spike', scope, scope_id: keyId, time: '', window_start: '', measures: [], message: '' };
}

test('throttle: a key limited per minute while its alert is active, then released', () => {
  const clock = { now: START };
  const actions = new SoftActions([{ virtual_key: 'key-a', action: 'throttle', max_requests_per_minute: 2, duration_seconds: 600 }], () => clock.now);
  assert.equal(actions.adjustModel(request('key-a'), 'gpt-4o'), undefined);
  actions.onAlert(alertFor('key-a'));
  actions.onAlert(alertFor('key-b'));
  assert.equal(actions.activeFor('key-b'), undefined, 'no entry for key-b and no `*` entry');
  actions.adjustModel(request('key-a'), 'gpt-4o');
  actions.adjustModel(request('key-a'), 'gpt-4o');
  assert.throws(
    () => actions.adjustModel(request('key-a'), 'gpt-4o'),
    (error: unknown) => GatewayError.is(error) && error.code === 'rate_limit_exceeded' && error.headers?.['x-ratelimit-scope'] === 'key' && error.retryAfterMs! > 0,
  );
  // Other keys are untouched.
  assert.equal(actions.adjustModel(request('key-b'), 'gpt-4o'), undefined);
  clock.now += 60_000;
  assert.equal(actions.adjustModel(request('key-a'), 'gpt-4o'), undefined, 'a new minute admits again');
  clock.now += 600_000;
  assert.equal(actions.activeFor('key-a'), undefined);
  for (let index = 0; index < 5; index++) assert.equal(actions.adjustModel(request('key-a'), 'gpt-4o'), undefined);
});

test('downgrade: the `*` entry sends an alerted key to the cheaper model until the action expires', () => {
  const clock = { now: START };
  const actions = new SoftActions([{ virtual_key: '*', action: 'downgrade', downgrade_to: 'openai/gpt-4o-mini', duration_seconds: 300 }], () => clock.now);
  actions.onAlert(alertFor('team-1', 'team'));
  assert.equal(actions.adjustModel(request('team-1'), 'openai/gpt-4o'), undefined, 'team alerts act on no key');
  actions.onAlert(alertFor('key-c'));
  const context = request('key-c');
  assert.equal(actions.adjustModel(context, 'openai/gpt-4o'), 'openai/gpt-4o-mini');
  assert.equal(context.responseHeaders['x-tollgate-soft-action'], 'downgrade');
  assert.match(context.warnings[0]!, /replaced by openai\/gpt-4o-mini/);
  clock.now += 200_000;
  actions.onAlert(alertFor('key-c'));
  clock.now += 200_000;
  assert.equal(actions.adjustModel(request('key-c'), 'openai/gpt-4o'), 'openai/gpt-4o-mini', 'a new alert extends the action');
  clock.now += 101_000;
  assert.equal(actions.adjustModel(request('key-c'), 'openai/gpt-4o'), undefined);
});

test('soft action config needs the setting of its action', () => {
  assert.throws(() => alertsSchema.parse({ soft_actions: [{ virtual_key: 'k', action: 'throttle' }] }), /max_requests_per_minute/);
  assert.throws(() => alertsSchema.parse({ soft_actions: [{ virtual_key: 'k', action: 'downgrade' }] }), /downgrade_to/);
});

test('through the gateway: a prompt loop alert downgrades one key and throttles another, each until it expires', async () => {
  const running = await startGateway({
    providers: { dear: { type: 'mock', models: ['mock-small'] }, cheap: { type: 'mock', models: ['mock-small'] } },
    virtual_keys: [
      { id: 'looper', value: 'vk-test-looper', models: ['*'] },
      { id: 'hammer', value: 'vk-test-hammer', models: ['*'] },
    ],
    observability: {
      alerts: {
        enabled: true,
        loop_repeats: 2,
        soft_actions: [
          { virtual_key: 'looper', action: 'downgrade', downgrade_to: 'cheap/mock-small' },
          { virtual_key: 'hammer', action: 'throttle', max_requests_per_minute: 0 },
        ],
      },
    },
  });
  try {
    const ask = (key: string, content: string) =>
      fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'dear/mock-small', messages: [{ role: 'user', content }] }) });
    const first = await ask('vk-test-looper', 'again');
    assert.equal(first.headers.get('x-tollgate-provider'), 'dear');
    assert.equal(first.headers.get('x-tollgate-soft-action'), null);
    await first.arrayBuffer();
    // The second identical prompt raises prompt_loop; the key is downgraded from its next request on.
    await (await ask('vk-test-looper', 'again')).arrayBuffer();
    const downgraded = await ask('vk-test-looper', 'something else');
    assert.equal(downgraded.status, 200);
    assert.equal(downgraded.headers.get('x-tollgate-provider'), 'cheap');
    assert.equal(downgraded.headers.get('x-tollgate-soft-action'), 'downgrade');
    await downgraded.arrayBuffer();

    await (await ask('vk-test-hammer', 'same')).arrayBuffer();
    await (await ask('vk-test-hammer', 'same')).arrayBuffer();
    const throttled = await ask('vk-test-hammer', 'different');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('x-tollgate-soft-action'), 'throttle');
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    const error = (await throttled.json()) as { error: { code: string } };
    assert.equal(error.error.code, 'rate_limit_exceeded');
    // The downgrade lasts its duration_seconds, not just one request.
    const other = await ask('vk-test-looper', 'still downgraded');
    assert.equal(other.headers.get('x-tollgate-provider'), 'cheap');
    await other.arrayBuffer();
  } finally {
    await running.close();
  }
});
