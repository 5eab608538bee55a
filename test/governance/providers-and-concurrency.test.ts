import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, chat, DEAR_PRICING, errorCode, startGoverned, TestClock } from './helpers.js';

const clock = new TestClock(Date.parse('2026-05-05T10:00:00Z'));
let running: RunningGateway;
const small = { max_tokens: 8 };

before(async () => {
  running = await startGoverned(
    {
      admin: { token: ADMIN_TOKEN },
      providers: {
        mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 } },
        other: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5, reply: 'other' } },
        limited: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 }, rate_limits: { requests: { max: 1, period: '1h' } } },
        slow: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5, latency_ms: 300 } },
        capped: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 }, budgets: [{ max_usd: 0.02, period: '1d' }] },
      },
      routes: {
        pair: { targets: [{ model: 'mock/mock-small', weight: 100 }, { model: 'other/mock-small', weight: 1 }] },
        global: { targets: [{ model: 'limited/mock-small', weight: 100 }, { model: 'other/mock-small', weight: 1 }] },
      },
      pricing: { ...DEAR_PRICING, 'capped/mock-small': { input: 1000, output: 1000 } },
      virtual_keys: [
        {
          id: 'split',
          value: 'vk-test-split',
          models: ['pair'],
          providers: [{ name: 'mock', budgets: [{ max_usd: 0.02, period: '1d' }] }, 'other'],
        },
        { id: 'global-user', value: 'vk-test-global', models: ['global'] },
        { id: 'only-limited', value: 'vk-test-only-limited', models: ['limited/*'] },
        { id: 'only-capped', value: 'vk-test-only-capped', models: ['capped/*'] },
        { id: 'single', value: 'vk-test-single', models: ['slow/*'], max_concurrent: 1 },
        { id: 'weighted', value: 'vk-test-weighted', models: ['pair'], providers: [{ name: 'mock', weight: 0 }, { name: 'other', weight: 1000 }] },
      ],
    },
    { now: clock.now },
  );
});

after(() => running.close());

test("a key's provider-config budget excludes that provider; the other keeps serving", async () => {
  const servedBy: string[] = [];
  for (let index = 0; index < 8; index++) {
    const result = await chat(running.url, { authorization: 'Bearer vk-test-split' }, { model: 'pair', ...small });
    assert.equal(result.status, 200, result.text);
    servedBy.push(result.headers.get('x-tollgate-provider')!);
  }
  // The weights send about one request in a hundred to `other` while `mock` is open.
  assert.ok(servedBy.slice(0, 3).includes('mock'), String(servedBy));
  assert.equal(servedBy[servedBy.length - 1], 'other');
  assert.ok(servedBy.filter((name) => name === 'mock').length <= 2);
});

test('a global provider rate limit excludes that provider for everyone; the request fails only if none is left', async () => {
  // The weights send about one request in a hundred to `other`: ask until `limited` has served its one.
  const servedBy: (string | null)[] = [];
  while (servedBy.at(-1) !== 'limited' && servedBy.length < 10) {
    const first = await chat(running.url, { authorization: 'Bearer vk-test-global' }, { model: 'global', ...small });
    assert.equal(first.status, 200, first.text);
    servedBy.push(first.headers.get('x-tollgate-provider'));
  }
  assert.equal(servedBy.at(-1), 'limited', String(servedBy));
  const second = await chat(running.url, { authorization: 'Bearer vk-test-global' }, { model: 'global', ...small });
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-tollgate-provider'), 'other');
  // The refused target was never called upstream, so it is not an attempt.
  assert.equal(second.headers.get('x-tollgate-attempts'), '1');
  const none = await chat(running.url, { authorization: 'Bearer vk-test-only-limited' }, { model: 'limited/mock-small', ...small });
  assert.equal(none.status, 429);
  assert.equal(errorCode(none.body), 'rate_limit_exceeded');
  assert.equal(none.headers.get('x-ratelimit-scope'), 'provider');
});

test('an admin override of provider limits applies on the next request and can be dropped', async () => {
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const put = await fetch(`${running.url}/admin/providers/limited/limits`, { method: 'PUT', headers, body: JSON.stringify({ rate_limits: { requests: { max: 100, period: '1h' } } }) });
  assert.equal(put.status, 200);
  assert.equal(((await put.json()) as { source: string }).source, 'api');
  const allowed = await chat(running.url, { authorization: 'Bearer vk-test-only-limited' }, { model: 'limited/mock-small', ...small });
  assert.equal(allowed.status, 200);
  const dropped = await fetch(`${running.url}/admin/providers/limited/limits`, { method: 'DELETE', headers });
  assert.equal(((await dropped.json()) as { source: string }).source, 'config');
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-only-limited' }, { model: 'limited/mock-small', ...small })).status, 429);
  assert.equal((await fetch(`${running.url}/admin/providers/nope/limits`, { method: 'PUT', headers, body: '{}' })).status, 404);
});

test("a provider's global budget refuses with 402 at the provider level; an admin top-up lets it serve again", async () => {
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  let refused = await chat(running.url, { authorization: 'Bearer vk-test-only-capped' }, { model: 'capped/mock-small', ...small });
  for (let count = 0; refused.status === 200 && count < 10; count++) refused = await chat(running.url, { authorization: 'Bearer vk-test-only-capped' }, { model: 'capped/mock-small', ...small });
  assert.equal(refused.status, 402);
  assert.equal(refused.headers.get('x-tollgate-budget-level'), 'provider');
  const topUp = await fetch(`${running.url}/admin/providers/capped/top-up`, { method: 'POST', headers, body: JSON.stringify({ amount_usd: 0.05 }) });
  assert.equal(topUp.status, 200, await topUp.clone().text());
  assert.equal(((await topUp.json()) as { until: string }).until, '2026-05-06T00:00:00.000Z');
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-only-capped' }, { model: 'capped/mock-small', ...small })).status, 200);
  const usage = (await (await fetch(`${running.url}/admin/providers/capped/usage`, { headers })).json()) as { budgets: { credit_usd: number }[] };
  assert.equal(usage.budgets[0]!.credit_usd, 0.05);
});

test('per-provider weights re-weight the route', async () => {
  for (let index = 0; index < 10; index++) {
    const result = await chat(running.url, { authorization: 'Bearer vk-test-weighted' }, { model: 'pair', ...small });
    assert.equal(result.headers.get('x-tollgate-provider'), 'other');
  }
});

test('max_concurrent refuses a second request in flight with 429 concurrency_limit_exceeded, and frees the slot after', async () => {
  const results = await Promise.all([0, 1, 2].map(() => chat(running.url, { authorization: 'Bearer vk-test-single' }, { model: 'slow/mock-small', ...small })));
  const statuses = results.map((result) => result.status).sort();
  assert.deepEqual(statuses, [200, 429, 429]);
  const refused = results.find((result) => result.status === 429)!;
  assert.equal(errorCode(refused.body), 'concurrency_limit_exceeded');
  assert.ok(refused.headers.get('retry-after'));
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-single' }, { model: 'slow/mock-small', ...small })).status, 200);
});

test('streams hold their concurrency slot until they end', async () => {
  const stream = fetch(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer vk-test-single' },
    body: JSON.stringify({ model: 'slow/mock-small', stream: true, messages: [{ role: 'user', content: 'hello' }], ...small }),
  });
  // Wait until the stream holds its slot, as the key holder sees it in GET /v1/usage.
  const inFlight = async () => ((await (await fetch(`${running.url}/v1/usage`, { headers: { authorization: 'Bearer vk-test-single' } })).json()) as { concurrency: { max: number; in_flight: number } }).concurrency;
  for (let polls = 0; polls < 500 && (await inFlight()).in_flight === 0; polls++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(await inFlight(), { max: 1, in_flight: 1 });
  const second = await chat(running.url, { authorization: 'Bearer vk-test-single' }, { model: 'slow/mock-small', ...small });
  assert.equal(second.status, 429);
  const response = await stream;
  assert.equal(response.status, 200);
  assert.match(await response.text(), /\[DONE\]/);
  assert.equal((await inFlight()).in_flight, 0);
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-single' }, { model: 'slow/mock-small', ...small })).status, 200);
});
