import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../helpers/gateway.js';
import { chat, DEAR_PRICING, startGoverned } from './helpers.js';

let running: RunningGateway;
const BODY = { max_tokens: 8, messages: [{ role: 'user', content: 'hello there' }] };

before(async () => {
  running = await startGoverned({
    providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 8, latency_ms: 20 } } },
    pricing: DEAR_PRICING,
    virtual_keys: [{ id: 'probe', value: 'vk-test-probe', models: ['*'] }],
  });
});

after(() => running.close());

test('200 concurrent requests against a budget for 10: settled spend never exceeds the budget', async () => {
  // Measure one request's actual cost, then give a fresh gateway a budget for exactly 10 of them.
  const probe = await chat(running.url, { authorization: 'Bearer vk-test-probe' }, BODY);
  const cost = Number(probe.headers.get('x-tollgate-cost'));
  assert.ok(cost > 0);
  const budget = cost * 10;
  await running.close();

  running = await startGoverned({
    providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 8, latency_ms: 20 } } },
    pricing: DEAR_PRICING,
    virtual_keys: [{ id: 'ten', value: 'vk-test-ten', models: ['*'], budgets: [{ max_usd: budget }] }],
  });
  const results = await Promise.all(Array.from({ length: 200 }, () => chat(running.url, { authorization: 'Bearer vk-test-ten' }, BODY)));
  const served = results.filter((result) => result.status === 200);
  const refused = results.filter((result) => result.status === 402);
  assert.equal(served.length + refused.length, 200);
  const charged = served.reduce((sum, result) => sum + Number(result.headers.get('x-tollgate-cost')), 0);
  const usage = (await (await fetch(`${running.url}/v1/usage`, { headers: { authorization: 'Bearer vk-test-ten' } })).json()) as { budgets: { spent_usd: number; reserved_usd: number }[] };
  assert.ok(served.length >= 1 && served.length <= 10, `served ${served.length}`);
  assert.ok(usage.budgets[0]!.spent_usd <= budget + 1e-12, `spent ${usage.budgets[0]!.spent_usd} > budget ${budget}`);
  assert.ok(Math.abs(usage.budgets[0]!.spent_usd - charged) < 1e-9);
  assert.equal(usage.budgets[0]!.reserved_usd, 0);
});
