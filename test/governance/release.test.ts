import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../helpers/gateway.js';
import { chat, DEAR_PRICING, startGoverned } from './helpers.js';

let running: RunningGateway;
const small = { max_tokens: 8 };

interface Usage {
  budgets: { spent_usd: number; reserved_usd: number }[];
  rate_limits: { metric: string; used: number }[];
}

before(async () => {
  running = await startGoverned({
    providers: {
      broken: { type: 'mock', models: ['mock-small'], max_retries: 0, mock: { failure_rate: 1 } },
      mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 } },
    },
    routes: { sturdy: { targets: [{ model: 'broken/mock-small' }], fallbacks: ['mock/mock-small'] } },
    pricing: { ...DEAR_PRICING, 'broken/mock-small': { input: 1000, output: 1000 } },
    virtual_keys: [
      { id: 'failing', value: 'vk-test-failing', models: ['*'], budgets: [{ max_usd: 1 }], rate_limits: { requests: { max: 100, period: '1h' } } },
      { id: 'falling-back', value: 'vk-test-fallback', models: ['*'], budgets: [{ max_usd: 1 }], rate_limits: { requests: { max: 100, period: '1h' } } },
    ],
  });
});

after(() => running.close());

async function usageOf(key: string): Promise<Usage> {
  return (await (await fetch(`${running.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as Usage;
}

test('a failed upstream call releases its reservation: nothing spent, nothing left reserved', async () => {
  for (let index = 0; index < 3; index++) {
    const failed = await chat(running.url, { authorization: 'Bearer vk-test-failing' }, { ...small, model: 'broken/mock-small' });
    assert.ok(failed.status >= 500, `status ${failed.status}`);
    assert.equal(failed.headers.get('x-tollgate-cost'), '0');
  }
  const usage = await usageOf('vk-test-failing');
  assert.equal(usage.budgets[0]!.spent_usd, 0);
  assert.equal(usage.budgets[0]!.reserved_usd, 0);
  // Requests still count against request limits, failed or not.
  assert.equal(usage.rate_limits.find((limit) => limit.metric === 'requests')!.used, 3);
});

test('a fallback after a failed attempt charges only the attempt that served, and counts the request once', async () => {
  const served = await chat(running.url, { authorization: 'Bearer vk-test-fallback' }, { ...small, model: 'sturdy' });
  assert.equal(served.status, 200, served.text);
  assert.equal(served.headers.get('x-tollgate-provider'), 'mock');
  assert.equal(served.headers.get('x-tollgate-attempts'), '2');
  const usage = await usageOf('vk-test-fallback');
  assert.equal(usage.budgets[0]!.spent_usd, Number(served.headers.get('x-tollgate-cost')));
  assert.equal(usage.budgets[0]!.reserved_usd, 0);
  assert.equal(usage.rate_limits.find((limit) => limit.metric === 'requests')!.used, 1);
});
