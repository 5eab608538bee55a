import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { admin, ADMIN_TOKEN, chat, errorCode, startGoverned } from './helpers.js';

let running: RunningGateway;
const small = { model: 'unpriced/mystery-model', max_tokens: 8 };

before(async () => {
  running = await startGoverned({
    admin: { token: ADMIN_TOKEN },
    // A model the shipped catalog does not know and the config does not price.
    providers: { unpriced: { type: 'mock', models: ['mystery-model'], mock: { output_tokens: 5 } } },
    governance: { unpriced_request_usd: 0.02 },
    virtual_keys: [{ id: 'meter', value: 'vk-test-meter', models: ['*'], budgets: [{ max_usd: 0.05 }] }],
  });
});

after(() => running.close());

test('an unknown price never blocks: the request is served and its cost is flagged unknown, not $0', async () => {
  const served = await chat(running.url, { authorization: 'Bearer vk-test-meter' }, small);
  assert.equal(served.status, 200, served.text);
  assert.equal(served.headers.get('x-tollgate-cost'), 'unknown');

  const streamed = await request(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer vk-test-meter' },
    body: JSON.stringify({ ...small, stream: true, messages: [{ role: 'user', content: 'hello' }] }),
  });
  assert.equal(streamed.statusCode, 200);
  await streamed.body.text();
  assert.equal(streamed.trailers['x-tollgate-cost'], 'unknown');

  const logged = await admin(running.url, 'GET', `/admin/logs?request_id=${encodeURIComponent(served.headers.get('x-request-id')!)}`);
  const record = (logged.body.logs as RequestRecord[])[0]!;
  assert.equal(record.status, 200);
  assert.equal(record.cost_usd, null);
  assert.ok(record.input_tokens! > 0, 'the usage is still recorded');
});

test('budgets charge governance.unpriced_request_usd per unpriced request, and refuse once it no longer fits', async () => {
  const usage = (await (await fetch(`${running.url}/v1/usage`, { headers: { authorization: 'Bearer vk-test-meter' } })).json()) as { budgets: { spent_usd: number }[] };
  // Two requests so far (one plain, one streamed), each charged the configured default.
  assert.ok(Math.abs(usage.budgets[0]!.spent_usd - 0.04) < 1e-12, String(usage.budgets[0]!.spent_usd));
  const refused = await chat(running.url, { authorization: 'Bearer vk-test-meter' }, small);
  assert.equal(refused.status, 402);
  assert.equal(errorCode(refused.body), 'budget_exceeded');
  assert.equal(refused.headers.get('x-tollgate-cost'), '0');
});

test('models without a price are flagged once at start-up, by name', () => {
  const warnings = running.logs.filter((line) => line.includes('models without a price'));
  assert.equal(warnings.length, 1);
  const fields = JSON.parse(warnings[0]!) as { models: string[]; unpriced_request_usd: number };
  assert.deepEqual(fields.models, ['unpriced/mystery-model']);
  assert.equal(fields.unpriced_request_usd, 0.02);
});
