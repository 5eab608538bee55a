import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import OpenAI from 'openai';
import type { BudgetAlert } from '../../src/observability/alerts/budget-alert.js';
import { signWebhook } from '../../src/observability/alerts/webhook.js';
import { startGateway } from '../helpers/gateway.js';
import { metricValue, parseMetrics } from './admin-client.js';

test('budget threshold alerts travel the anomaly alert channel: one signed webhook, a log line and the alert metric', async () => {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let firstDelivery: () => void = () => {};
  const delivered = new Promise<void>((resolve) => (firstDelivery = resolve));
  const hook = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
      firstDelivery();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
  const running = await startGateway({
    providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 } } },
    pricing: { 'mock/mock-small': { input: 1000, output: 1000 } },
    virtual_keys: [{ id: 'watched', value: 'vk-test-watched', models: ['*'], budgets: [{ max_usd: 0.5, period: '1M', alert_thresholds: [0.5] }] }],
    observability: { alerts: { enabled: true, webhook: { url, secret: 'test-alert-secret', retries: 0 } } },
  });
  let closed = false;
  try {
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'vk-test-watched', maxRetries: 0 });
    let spent = 0;
    let count = 0;
    // Each request costs about 0.03 USD: the 50 % line is crossed well before the budget runs out.
    while (received.length === 0 && spent < 0.45) {
      const completion = await client.chat.completions.create({ model: 'mock/mock-small', max_tokens: 8, messages: [{ role: 'user', content: `spend a little, ${count++}` }] });
      spent += (completion.usage!.prompt_tokens + completion.usage!.completion_tokens) * 1000 / 1_000_000;
      if (spent >= 0.25) await delivered;
    }
    const series = parseMetrics(await (await fetch(`${running.url}/metrics`)).text());
    assert.equal(metricValue(series, 'tollgate_alerts_total', { kind: 'budget_threshold', scope: 'virtual_key' }), 1);
    assert.equal(metricValue(series, 'tollgate_alerts_total'), 1);
    await running.close();
    closed = true;
    // Closing waits for deliveries in progress: still exactly one for the one threshold.
    assert.equal(received.length, 1);
    const { headers, body } = received[0]!;
    assert.equal(headers['x-tollgate-signature'], signWebhook('test-alert-secret', String(headers['x-tollgate-timestamp']), body));
    const payload = JSON.parse(body) as { type: string; alert: BudgetAlert };
    assert.equal(payload.type, 'tollgate.alert');
    assert.equal(headers['x-tollgate-event-id'], payload.alert.id);
    assert.deepEqual([payload.alert.kind, payload.alert.scope, payload.alert.scope_id, payload.alert.threshold, payload.alert.budget_usd, payload.alert.period], ['budget_threshold', 'virtual_key', 'watched', 0.5, 0.5, '1M']);
    assert.ok(payload.alert.spent_usd >= 0.25, String(payload.alert.spent_usd));
    assert.doesNotMatch(body, /vk-test-watched|test-alert-secret/);
    const line = running.logs.map((text) => JSON.parse(text) as { msg: string; alert?: BudgetAlert }).find((entry) => entry.msg === 'budget alert');
    assert.equal(line?.alert?.id, payload.alert.id);
  } finally {
    if (!closed) await running.close();
    hook.close();
  }
});
