import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../helpers/gateway.js';
import { chat, DEAR_PRICING, errorCode, startGoverned, TestClock } from './helpers.js';

const clock = new TestClock(Date.parse('2026-03-10T12:00:00Z'));
let running: RunningGateway;

const requests2 = { requests: { max: 2, period: '1h' } };

before(async () => {
  running = await startGoverned(
    {
      providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 } } },
      pricing: DEAR_PRICING,
      customers: [
        { id: 'cust-limited', rate_limits: requests2 },
        { id: 'cust-free' },
        { id: 'cust-broke', budgets: [{ max_usd: 0.03 }] },
      ],
      teams: [
        { id: 'team-a', customer: 'cust-limited' },
        { id: 'team-limited', customer: 'cust-free', rate_limits: requests2 },
        { id: 'team-free', customer: 'cust-free' },
        { id: 'team-broke', customer: 'cust-free', budgets: [{ max_usd: 0.03, period: '1d' }] },
        { id: 'team-of-broke', customer: 'cust-broke' },
      ],
      virtual_keys: [
        { id: 'under-customer-limit', value: 'vk-test-1', team: 'team-a', models: ['*'] },
        { id: 'under-team-limit', value: 'vk-test-2', team: 'team-limited', models: ['*'] },
        { id: 'key-limited', value: 'vk-test-3', team: 'team-free', models: ['*'], rate_limits: requests2 },
        { id: 'key-broke', value: 'vk-test-4', team: 'team-free', models: ['*'], budgets: [{ max_usd: 0.03, period: '1d' }] },
        { id: 'under-team-budget', value: 'vk-test-5', team: 'team-broke', models: ['*'] },
        { id: 'under-customer-budget', value: 'vk-test-6', team: 'team-of-broke', models: ['*'] },
        { id: 'tokens', value: 'vk-test-7', customer: 'cust-free', models: ['*'], rate_limits: { tokens: { max: 40, period: '1m' } } },
        { id: 'daily', value: 'vk-test-8', models: ['*'], budgets: [{ max_usd: 0.03, period: '1d' }] },
        { id: 'monthly', value: 'vk-test-9', models: ['*'], budgets: [{ max_usd: 0.03, period: '1M' }] },
        { id: 'expiring', value: 'vk-test-10', models: ['*'], expires_at: '2026-03-10T13:00:00Z' },
        { id: 'free', value: 'vk-test-11', team: 'team-free', models: ['*'] },
      ],
    },
    { now: clock.now },
  );
});

after(() => running.close());

const small = { max_tokens: 8 };

async function untilRefused(key: string, body: Record<string, unknown> = small, limit = 20) {
  for (let count = 0; count < limit; count++) {
    const result = await chat(running.url, { authorization: `Bearer ${key}` }, body);
    if (result.status !== 200) return { ...result, served: count };
  }
  throw new Error(`${key} was never refused`);
}

for (const [key, level, id] of [
  ['vk-test-1', 'customer', 'cust-limited'],
  ['vk-test-2', 'team', 'team-limited'],
  ['vk-test-3', 'key', 'key-limited'],
] as const) {
  test(`a ${level} request limit blocks on its own (429, Retry-After, x-ratelimit-*)`, async () => {
    const refused = await untilRefused(key);
    assert.equal(refused.served, 2);
    assert.equal(refused.status, 429);
    assert.equal(errorCode(refused.body), 'rate_limit_exceeded');
    assert.match(String((refused.body.error as { message: string }).message), new RegExp(`${level === 'key' ? 'virtual key' : level} "${id}"`));
    assert.equal(refused.headers.get('x-ratelimit-scope'), level);
    assert.equal(refused.headers.get('x-ratelimit-limit-requests'), '2');
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
    // The window is the UTC hour: from 12:00 it resets at 13:00, 3600 s away.
    assert.equal(refused.headers.get('retry-after'), '3600');
  });
}

test('other keys of the same customer are not blocked by a sibling key limit', async () => {
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-11' }, small)).status, 200);
});

test('successful responses carry x-ratelimit-* headers of the tightest own limit', async () => {
  const fresh = await chat(running.url, { authorization: 'Bearer vk-test-7' }, small);
  assert.equal(fresh.status, 200);
  assert.equal(fresh.headers.get('x-ratelimit-limit-tokens'), '40');
  assert.ok(Number(fresh.headers.get('x-ratelimit-remaining-tokens')) < 40);
});

test('a token limit refuses once the window has used its tokens, then resets with the minute', async () => {
  const refused = await untilRefused('vk-test-7');
  assert.equal(refused.status, 429);
  assert.equal(errorCode(refused.body), 'rate_limit_exceeded');
  assert.equal(refused.headers.get('x-ratelimit-limit-tokens'), '40');
  assert.ok(refused.served >= 1 && refused.served <= 4, `served ${refused.served}`);
  clock.advance(60_000);
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-7' }, small)).status, 200);
});

for (const [key, level] of [
  ['vk-test-4', 'key'],
  ['vk-test-5', 'team'],
  ['vk-test-6', 'customer'],
] as const) {
  test(`a ${level} budget blocks on its own (402 naming level, period and reset)`, async () => {
    const refused = await untilRefused(key);
    assert.ok(refused.served >= 1);
    assert.equal(refused.status, 402);
    assert.equal(errorCode(refused.body), 'budget_exceeded');
    assert.equal(refused.headers.get('x-tollgate-budget-level'), level);
    const message = String((refused.body.error as { message: string }).message);
    assert.match(message, new RegExp(level === 'key' ? 'virtual key' : level));
    if (level === 'customer') assert.match(message, /lifetime/);
    else {
      assert.match(message, /per day/);
      assert.match(message, /resets at 2026-03-11T00:00:00.000Z/);
      assert.equal(refused.headers.get('x-tollgate-budget-reset'), '2026-03-11T00:00:00.000Z');
    }
  });
}

test('a daily budget resets at midnight UTC, a monthly one on the 1st', async () => {
  clock.time = Date.parse('2026-03-31T23:58:00Z');
  const daily = await untilRefused('vk-test-8');
  assert.equal(daily.status, 402);
  const monthly = await untilRefused('vk-test-9');
  assert.equal(monthly.status, 402);
  clock.time = Date.parse('2026-03-31T23:59:59Z');
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-8' }, small)).status, 402);
  clock.time = Date.parse('2026-04-01T00:00:00Z');
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-8' }, small)).status, 200);
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-9' }, small)).status, 200);
  clock.time = Date.parse('2026-04-01T12:00:00Z');
  const monthlyAgain = await untilRefused('vk-test-9');
  assert.match(String((monthlyAgain.body.error as { message: string }).message), /resets at 2026-05-01T00:00:00.000Z/);
});

test('a key stops working at its expires_at', async () => {
  clock.time = Date.parse('2026-03-10T12:59:59Z');
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-10' }, small)).status, 200);
  clock.time = Date.parse('2026-03-10T13:00:00Z');
  const expired = await chat(running.url, { authorization: 'Bearer vk-test-10' }, small);
  assert.equal(expired.status, 403);
  assert.equal(errorCode(expired.body), 'key_expired');
});

test('GET /v1/usage shows the key its own spend and remaining budget, per level', async () => {
  clock.time = Date.parse('2026-03-10T15:00:00Z');
  const response = await fetch(`${running.url}/v1/usage`, { headers: { authorization: 'Bearer vk-test-5' } });
  assert.equal(response.status, 200);
  const usage = (await response.json()) as { key: { id: string }; budgets: { level: string; spent_usd: number; remaining_usd: number; max_usd: number; resets_at: string }[] };
  assert.equal(usage.key.id, 'under-team-budget');
  const team = usage.budgets.find((budget) => budget.level === 'team')!;
  assert.equal(team.max_usd, 0.03);
  assert.ok(team.spent_usd > 0 && team.spent_usd <= 0.03);
  assert.ok(Math.abs(team.remaining_usd - (0.03 - team.spent_usd)) < 1e-9);
  assert.equal(team.resets_at, '2026-03-11T00:00:00.000Z');
  const anonymous = await fetch(`${running.url}/v1/usage`);
  assert.equal(anonymous.status, 401);
});

test('settled spend matches the sum of x-tollgate-cost headers', async () => {
  clock.time = Date.parse('2026-06-01T00:00:00Z');
  let total = 0;
  for (let index = 0; index < 2; index++) {
    const result = await chat(running.url, { authorization: 'Bearer vk-test-8' }, small);
    assert.equal(result.status, 200);
    total += Number(result.headers.get('x-tollgate-cost'));
  }
  const usage = (await (await fetch(`${running.url}/v1/usage`, { headers: { authorization: 'Bearer vk-test-8' } })).json()) as { budgets: { spent_usd: number }[] };
  assert.ok(total > 0);
  assert.ok(Math.abs(usage.budgets[0]!.spent_usd - total) < 1e-9, `${usage.budgets[0]!.spent_usd} vs ${total}`);
});
