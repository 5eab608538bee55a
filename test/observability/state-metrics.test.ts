import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { metricValue, parseMetrics } from './admin-client.js';

// Circuit state, budgets and rejections are read from routing and governance at scrape time.
let running: RunningGateway;

const PRICE = { input: 1000, output: 1000 };

before(async () => {
  running = await startGateway({
    providers: {
      mock: { type: 'mock', models: ['mock-small'], keys: [{ id: 'mock-key-a', value: 'test-key-mock' }] },
      broken: { type: 'mock', models: ['mock-small'], max_retries: 0, mock: { failure_rate: 1 } },
    },
    routing: { circuit_breaker: { consecutive_failures: 1, open_ms: 600_000 } },
    pricing: { 'mock/mock-small': PRICE, 'broken/mock-small': PRICE },
    customers: [{ id: 'cust-metrics', budgets: [{ max_usd: 50 }] }],
    teams: [{ id: 'team-metrics', customer: 'cust-metrics', budgets: [{ max_usd: 20, period: '1d' }] }],
    virtual_keys: [
      { id: 'key-metrics', value: 'test-key-metrics', team: 'team-metrics', models: ['*'], budgets: [{ max_usd: 10, period: '30d', rolling: true }] },
      { id: 'key-limited', value: 'test-key-limited', models: ['*'], rate_limits: { requests: { max: 1, period: '1h' } } },
      { id: 'key-broke', value: 'test-key-broke', models: ['*'], budgets: [{ max_usd: 0 }] },
    ],
  });
});

after(async () => {
  await running.close();
});

async function chat(key: string, model = 'mock/mock-small'): Promise<{ status: number; costUsd: number }> {
  const response = await fetch(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello metrics' }] }),
  });
  const body = (await response.json()) as { usage?: { prompt_tokens: number; completion_tokens: number } };
  const usage = body.usage;
  return { status: response.status, costUsd: usage === undefined ? 0 : ((usage.prompt_tokens + usage.completion_tokens) * 1000) / 1_000_000 };
}

async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(`${running.url}/metrics`);
  assert.equal(response.status, 200);
  return parseMetrics(await response.text());
}

test('circuit state per target and per key is reported at scrape time', async () => {
  const before = await scrape();
  assert.equal(metricValue(before, 'tollgate_target_circuit_state', { provider: 'broken', model: 'mock-small', state: 'closed' }), 1);
  assert.equal(metricValue(before, 'tollgate_target_circuit_state', { provider: 'broken', model: 'mock-small', state: 'open' }), 0);

  const failed = await chat('test-key-metrics', 'broken/mock-small');
  assert.notEqual(failed.status, 200);
  const after = await scrape();
  assert.equal(metricValue(after, 'tollgate_target_circuit_state', { provider: 'broken', model: 'mock-small', state: 'open' }), 1);
  assert.equal(metricValue(after, 'tollgate_target_circuit_state', { provider: 'broken', model: 'mock-small', state: 'closed' }), 0);
  assert.equal(metricValue(after, 'tollgate_target_circuit_state', { provider: 'mock', model: 'mock-small', state: 'closed' }), 1);
  // Every state series of one target sums to 1.
  assert.equal(metricValue(after, 'tollgate_target_circuit_state', { provider: 'broken', model: 'mock-small' }), 1);
  assert.equal(metricValue(after, 'tollgate_key_circuit_state', { provider: 'mock', key_id: 'mock-key-a', state: 'closed' }), 1);
  assert.equal(metricValue(after, 'tollgate_key_circuit_state', { provider: 'mock', key_id: 'mock-key-a', state: 'open' }), 0);
  assert.equal(metricValue(after, 'tollgate_target_in_flight', { provider: 'mock', model: 'mock-small' }), 0);
});

test('budget limit, used and remaining per key, team and customer follow known spend', async () => {
  const read = (series: Map<string, number>, name: string, level: string, id: string, period: string) => metricValue(series, name, { level, id, period });
  const before = await scrape();
  assert.equal(read(before, 'tollgate_budget_limit_usd', 'virtual_key', 'key-metrics', '30d_rolling'), 10);
  assert.equal(read(before, 'tollgate_budget_limit_usd', 'team', 'team-metrics', '1d'), 20);
  assert.equal(read(before, 'tollgate_budget_limit_usd', 'customer', 'cust-metrics', 'lifetime'), 50);

  let spent = 0;
  for (let index = 0; index < 3; index++) {
    const answer = await chat('test-key-metrics');
    assert.equal(answer.status, 200);
    spent += answer.costUsd;
  }
  assert.ok(spent > 0);
  const after = await scrape();
  const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} vs ${expected}`);
  for (const [level, id, period, limit] of [
    ['virtual_key', 'key-metrics', '30d_rolling', 10],
    ['team', 'team-metrics', '1d', 20],
    ['customer', 'cust-metrics', 'lifetime', 50],
  ] as const) {
    const used = read(after, 'tollgate_budget_used_usd', level, id, period) - read(before, 'tollgate_budget_used_usd', level, id, period);
    close(used, spent);
    close(read(after, 'tollgate_budget_reserved_usd', level, id, period), 0);
    close(read(after, 'tollgate_budget_remaining_usd', level, id, period), limit - read(after, 'tollgate_budget_used_usd', level, id, period));
  }
  // Keys without a budget have no budget series.
  assert.equal([...after.keys()].some((series) => series.startsWith('tollgate_budget_limit_usd') && series.includes('key-limited')), false);
});

test('rate-limit and budget rejections are counted by reason and refusing level', async () => {
  const before = await scrape();
  assert.equal((await chat('test-key-limited')).status, 200);
  assert.equal((await chat('test-key-limited')).status, 429);
  assert.equal((await chat('test-key-broke')).status, 402);
  const after = await scrape();
  const delta = (labels: Record<string, string>) => metricValue(after, 'tollgate_governance_rejections_total', labels) - metricValue(before, 'tollgate_governance_rejections_total', labels);
  assert.equal(delta({ reason: 'rate_limit_exceeded', level: 'key', virtual_key_id: 'key-limited' }), 1);
  assert.equal(delta({ reason: 'budget_exceeded', level: 'key', virtual_key_id: 'key-broke' }), 1);
  assert.equal(metricValue(after, 'tollgate_in_flight_requests'), 0);
});
