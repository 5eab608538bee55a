import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { alertsSchema } from '../../src/config/observability-schema.js';
import type { AnomalyAlert } from '../../src/observability/alerts/anomaly-alert.js';
import { AnomalyDetector, type UsageEvent } from '../../src/observability/alerts/anomaly-detector.js';
import { deliverWebhook, signWebhook } from '../../src/observability/alerts/webhook.js';
import { createLogger } from '../../src/lib/logger.js';

const HOUR = 3_600_000;
const config = alertsSchema.parse({ enabled: true, window_seconds: 3600, factor: 3, min_windows: 3, min_requests: 10, min_spend_usd: 0.01, loop_repeats: 5, loop_window_seconds: 60, dedupe_seconds: 7200 });

function event(overrides: Partial<UsageEvent> = {}): UsageEvent {
  return { keyId: 'key-a', teamId: null, customerId: null, costUsd: 0.01, promptHash: undefined, ...overrides };
}

function harness() {
  let now = Date.parse('2025-03-01T00:00:00Z');
  const alerts: AnomalyAlert[] = [];
  const detector = new AnomalyDetector(config, (alert) => alerts.push(alert), () => now);
  let promptCounter = 0;
  /** `count` requests spread over the next hour. */
  const hour = (count: number, overrides: Partial<UsageEvent> = {}) => {
    for (let index = 0; index < count; index++) {
      now += Math.floor(HOUR / (count + 1));
      detector.observe(event({ promptHash: `prompt-${promptCounter++}`, ...overrides }));
    }
    now = Math.ceil((now + 1) / HOUR) * HOUR;
  };
  return { alerts, hour, detector, advance: (ms: number) => (now += ms) };
}

test('steady load raises no alert', () => {
  const { alerts, hour } = harness();
  for (let index = 0; index < 48; index++) hour(20 + (index % 3) * 5);
  assert.deepEqual(alerts, []);
});

test('a spike raises exactly one alert, deduplicated across the window and the next', () => {
  const { alerts, hour } = harness();
  for (let index = 0; index < 6; index++) hour(20);
  hour(200);
  hour(200);
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  const alert = alerts[0]!;
  assert.equal(alert.kind, 'usage_spike');
  assert.equal(alert.scope, 'virtual_key');
  assert.equal(alert.scope_id, 'key-a');
  assert.deepEqual(alert.measures.map((measure) => measure.measure), ['requests', 'spend_usd']);
  // It fires as soon as the window passes 3x the baseline of 20: at the 61st request.
  assert.equal(alert.measures[0]!.observed, 61);
  assert.equal(alert.measures[0]!.baseline, 20);
  assert.equal(alert.window_start, '2025-03-01T06:00:00.000Z');
});

test('a spike of one team is alerted for that team only', () => {
  const { alerts, hour } = harness();
  for (let index = 0; index < 4; index++) {
    hour(20, { keyId: 'key-a', teamId: 'team-1' });
    hour(20, { keyId: 'key-b', teamId: 'team-2' });
  }
  hour(100, { keyId: 'key-c', teamId: 'team-2' });
  assert.deepEqual(alerts.map((alert) => `${alert.scope}:${alert.scope_id}`), ['team:team-2']);
});

test('no alert before a scope has a baseline', () => {
  const { alerts, hour } = harness();
  hour(500);
  hour(500);
  assert.deepEqual(alerts, []);
});

test('the same prompt repeated in a loop raises one prompt_loop alert', () => {
  const { alerts, detector, advance } = harness();
  for (let index = 0; index < 12; index++) {
    advance(1000);
    detector.observe(event({ promptHash: 'same', costUsd: 0 }));
  }
  assert.deepEqual(alerts.map((alert) => [alert.kind, alert.scope_id, alert.measures[0]!.observed]), [['prompt_loop', 'key-a', 5]]);
  // Slow repeats (one a minute) are not a loop.
  const slow = harness();
  for (let index = 0; index < 12; index++) {
    slow.advance(61_000);
    slow.detector.observe(event({ promptHash: 'same', costUsd: 0 }));
  }
  assert.deepEqual(slow.alerts, []);
});

test('webhook deliveries are HMAC-signed, retried on 5xx and carry a stable event id', async () => {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.statusCode = received.length === 1 ? 503 : 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  try {
    const delivered = await deliverWebhook({ url, secret: 'webhook-test-secret', retries: 2, timeout_ms: 2000 }, 'event-1', { hello: 'world' }, createLogger({ level: 'silent' }), 1);
    assert.equal(delivered, true);
    assert.equal(received.length, 2);
    for (const { headers, body } of received) {
      assert.equal(headers['x-tollgate-event-id'], 'event-1');
      assert.equal(headers['x-tollgate-signature'], signWebhook('webhook-test-secret', String(headers['x-tollgate-timestamp']), body));
      assert.deepEqual(JSON.parse(body), { hello: 'world' });
    }
  } finally {
    server.close();
  }
});
