import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { chat, DEAR_PRICING, startGoverned } from './helpers.js';
import { connectRedis, deleteKeys, REDIS_URL, uniquePrefix } from './redis.js';

const BODY = { max_tokens: 8, messages: [{ role: 'user', content: 'hello there' }] };
const providers = { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 8, latency_ms: 20 } } };
let costOfOne = 0;
let redis: Redis;
const prefix = uniquePrefix('overspend');

before(async () => {
  redis = await connectRedis();
  // Measure one request's actual cost; each scenario gives a key a budget for exactly 10 of them.
  const probe = await startGoverned({ providers, pricing: DEAR_PRICING, virtual_keys: [{ id: 'probe', value: 'vk-test-probe', models: ['*'] }] });
  costOfOne = Number((await chat(probe.url, { authorization: 'Bearer vk-test-probe' }, BODY)).headers.get('x-tollgate-cost'));
  await probe.close();
  assert.ok(costOfOne > 0);
});

after(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

async function fireAtBudgetForTen(governance: Record<string, unknown>): Promise<void> {
  const budget = costOfOne * 10;
  const running = await startGoverned({ providers, pricing: DEAR_PRICING, virtual_keys: [{ id: 'ten', value: 'vk-test-ten', models: ['*'], budgets: [{ max_usd: budget }] }], governance });
  try {
    const results = await Promise.all(Array.from({ length: 200 }, () => chat(running.url, { authorization: 'Bearer vk-test-ten' }, BODY)));
    const served = results.filter((result) => result.status === 200);
    const refused = results.filter((result) => result.status === 402);
    assert.equal(served.length + refused.length, 200);
    const charged = served.reduce((sum, result) => sum + Number(result.headers.get('x-tollgate-cost')), 0);
    const usage = (await (await fetch(`${running.url}/v1/usage`, { headers: { authorization: 'Bearer vk-test-ten' } })).json()) as { budgets: { spent_usd: number; reserved_usd: number }[] };
    assert.ok(served.length >= 1 && served.length <= 10, `served ${served.length}`);
    assert.ok(usage.budgets[0]!.spent_usd <= budget + 1e-12, `spent ${usage.budgets[0]!.spent_usd} > budget ${budget}`);
    assert.ok(Math.abs(usage.budgets[0]!.spent_usd - charged) < 1e-9);
    assert.ok(usage.budgets[0]!.reserved_usd < 1e-12);
  } finally {
    await running.close();
  }
}

test('200 concurrent requests against a budget for 10: settled spend never exceeds the budget (in-memory ledger)', () => fireAtBudgetForTen({}));

test('the same with the Redis ledger chosen in the config', () => fireAtBudgetForTen({ spend_store: { type: 'redis', url: REDIS_URL, key_prefix: prefix } }));
