import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../helpers/gateway.js';
import { chat, DEAR_PRICING, errorCode, startGoverned } from './helpers.js';

let running: RunningGateway;

before(async () => {
  running = await startGoverned({
    providers: { mock: { type: 'mock', models: ['mock-small', 'mock-large', 'mock-embedding'], mock: { output_tokens: 5 } } },
    // mock-large can answer with at most 100 tokens, so no reservation assumes more.
    pricing: { ...DEAR_PRICING, 'mock/mock-large': { input: 1, output: 1, max_output_tokens: 100 } },
    // A request without max_tokens reserves 2,000 output tokens against token limits and budgets.
    governance: { reserved_output_tokens: 2_000 },
    virtual_keys: [
      { id: 'tokens', value: 'vk-test-tokens', models: ['*'], rate_limits: { tokens: { max: 1_000, period: '1h' } } },
      { id: 'budget', value: 'vk-test-budget', models: ['*'], budgets: [{ max_usd: 1 }] },
    ],
  });
});

after(() => running.close());

test('a request without max_tokens reserves governance.reserved_output_tokens against token limits', async () => {
  const unbounded = await chat(running.url, { authorization: 'Bearer vk-test-tokens' });
  assert.equal(unbounded.status, 429);
  assert.equal(errorCode(unbounded.body), 'rate_limit_exceeded');
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-tokens' }, { max_tokens: 8 })).status, 200);
});

test('and against budgets: 2,000 output tokens at $1,000/M do not fit a $1 budget, 8 do', async () => {
  const unbounded = await chat(running.url, { authorization: 'Bearer vk-test-budget' });
  assert.equal(unbounded.status, 402);
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-budget' }, { max_tokens: 8 })).status, 200);
});

test('embeddings reserve no output tokens', async () => {
  const response = await fetch(`${running.url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer vk-test-tokens' },
    body: JSON.stringify({ model: 'mock/mock-embedding', input: 'a few words' }),
  });
  assert.equal(response.status, 200, await response.clone().text());
});

test("a max_tokens above the model's output limit reserves only the limit against token limits", async () => {
  const huge = { max_tokens: 1_000_000 };
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-tokens' }, { ...huge, model: 'mock/mock-small' })).status, 429, 'no known limit: the whole max_tokens is reserved');
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-tokens' }, { ...huge, model: 'mock/mock-large' })).status, 200);
});
