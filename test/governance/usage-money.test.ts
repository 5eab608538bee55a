import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../helpers/gateway.js';
import { admin, ADMIN_TOKEN, chat, startGoverned } from './helpers.js';

let running: RunningGateway;

before(async () => {
  running = await startGoverned({
    admin: { token: ADMIN_TOKEN },
    // One output token at $1,000 per million: every request costs exactly $0.001.
    providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 1 } } },
    pricing: { 'mock/mock-small': { input: 0, output: 1000 } },
    virtual_keys: [{ id: 'thrifty', value: 'vk-test-thrifty', models: ['*'], budgets: [{ max_usd: 1 }] }],
  });
});

after(() => running.close());

test('spend leaves the API as exact amounts: 17 requests of $0.001 are 0.017, not the doubles’ 0.017000000000000008', async () => {
  // The ledger adds doubles; 17 × 0.001 that way is 0.017000000000000008.
  let doubles = 0;
  for (let count = 0; count < 17; count++) doubles += 0.001;
  assert.notEqual(doubles, 0.017, 'the case reproduces the float noise');
  for (let count = 0; count < 17; count++) {
    const served = await chat(running.url, { authorization: 'Bearer vk-test-thrifty' }, { max_tokens: 1 });
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('x-tollgate-cost'), '0.001');
  }
  const usage = await fetch(`${running.url}/v1/usage`, { headers: { authorization: 'Bearer vk-test-thrifty' } });
  const text = await usage.text();
  assert.match(text, /"spent_usd":0\.017,/);
  assert.match(text, /"remaining_usd":0\.983,/);
  const budget = (JSON.parse(text) as { budgets: Record<string, unknown>[] }).budgets[0]!;
  assert.deepEqual({ max: budget.max_usd, credit: budget.credit_usd, spent: budget.spent_usd, reserved: budget.reserved_usd, remaining: budget.remaining_usd }, { max: 1, credit: 0, spent: 0.017, reserved: 0, remaining: 0.983 });

  const viaAdmin = await admin(running.url, 'GET', '/admin/keys/thrifty/usage');
  assert.equal(viaAdmin.status, 200);
  assert.match(viaAdmin.text, /"spent_usd":0\.017,/);
  assert.match(viaAdmin.text, /"remaining_usd":0\.983,/);
});
