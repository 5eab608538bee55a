import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../helpers/gateway.js';
import { chat, DEAR_PRICING, errorCode, startGoverned, TestClock } from './helpers.js';

// A Wednesday, noon UTC: config keys are created (seeded) now, which anchors rolling windows.
const clock = new TestClock(Date.parse('2026-03-04T12:00:00Z'));
let running: RunningGateway;
const small = { max_tokens: 8 };

before(async () => {
  running = await startGoverned(
    {
      providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 } } },
      pricing: DEAR_PRICING,
      virtual_keys: [
        { id: 'weekly', value: 'vk-test-weekly', models: ['*'], budgets: [{ max_usd: 0.03, period: '1w' }] },
        { id: 'yearly', value: 'vk-test-yearly', models: ['*'], budgets: [{ max_usd: 0.03, period: '1Y' }] },
        { id: 'rolling', value: 'vk-test-rolling', models: ['*'], budgets: [{ max_usd: 0.03, period: '1d', rolling: true }] },
        { id: 'day-and-month', value: 'vk-test-two', models: ['*'], budgets: [{ max_usd: 0.05, period: '1d' }, { max_usd: 0.06, period: '1M' }] },
        { id: 'five-minutes', value: 'vk-test-5m', models: ['*'], rate_limits: { requests: { max: 1, period: '5m' } } },
      ],
    },
    { now: clock.now },
  );
});

after(() => running.close());

const send = (key: string) => chat(running.url, { authorization: `Bearer ${key}` }, small);

async function untilRefused(key: string) {
  for (let count = 0; count < 20; count++) {
    const result = await send(key);
    if (result.status !== 200) return { ...result, served: count, message: String((result.body.error as { message: string }).message) };
  }
  throw new Error(`${key} was never refused`);
}

test('a weekly budget resets on Monday 00:00 UTC', async () => {
  const refused = await untilRefused('vk-test-weekly');
  assert.equal(refused.status, 402);
  assert.match(refused.message, /per week/);
  assert.equal(refused.headers.get('x-tollgate-budget-reset'), '2026-03-09T00:00:00.000Z');
  clock.time = Date.parse('2026-03-08T23:59:59Z'); // Sunday night: the same week
  assert.equal((await send('vk-test-weekly')).status, 402);
  clock.time = Date.parse('2026-03-09T00:00:00Z');
  assert.equal((await send('vk-test-weekly')).status, 200);
});

test('a yearly budget resets on 1 January 00:00 UTC', async () => {
  clock.time = Date.parse('2026-03-09T12:00:00Z');
  const refused = await untilRefused('vk-test-yearly');
  assert.equal(refused.status, 402);
  assert.equal(refused.headers.get('x-tollgate-budget-period'), '1Y');
  assert.equal(refused.headers.get('x-tollgate-budget-reset'), '2027-01-01T00:00:00.000Z');
  clock.time = Date.parse('2026-12-31T23:59:59Z');
  assert.equal((await send('vk-test-yearly')).status, 402);
  clock.time = Date.parse('2027-01-01T00:00:00Z');
  assert.equal((await send('vk-test-yearly')).status, 200);
});

test('a rolling daily budget resets 24 hours after the key was created, not at midnight', async () => {
  // The key was seeded on 2026-03-04 at 12:00, so its windows run from noon to noon.
  clock.time = Date.parse('2027-01-05T18:00:00Z');
  const refused = await untilRefused('vk-test-rolling');
  assert.equal(refused.status, 402);
  assert.match(refused.message, /per day \(rolling\)/);
  assert.equal(refused.headers.get('x-tollgate-budget-reset'), '2027-01-06T12:00:00.000Z');
  clock.time = Date.parse('2027-01-06T00:00:00Z'); // midnight: a calendar budget would reset here
  assert.equal((await send('vk-test-rolling')).status, 402);
  clock.time = Date.parse('2027-01-06T12:00:00Z');
  assert.equal((await send('vk-test-rolling')).status, 200);
});

test('several budgets on one key: the daily one blocks today, the monthly one blocks tomorrow', async () => {
  clock.time = Date.parse('2027-02-10T09:00:00Z');
  const today = await untilRefused('vk-test-two');
  assert.equal(today.status, 402);
  assert.equal(today.headers.get('x-tollgate-budget-period'), '1d');
  clock.time = Date.parse('2027-02-11T09:00:00Z');
  const tomorrow = await untilRefused('vk-test-two');
  assert.equal(tomorrow.status, 402);
  assert.equal(tomorrow.headers.get('x-tollgate-budget-period'), '1M');
  assert.equal(tomorrow.headers.get('x-tollgate-budget-reset'), '2027-03-01T00:00:00.000Z');
});

test('a 5-minute request limit counts in windows aligned to the UTC clock', async () => {
  clock.time = Date.parse('2027-02-11T10:03:00Z');
  assert.equal((await send('vk-test-5m')).status, 200);
  const refused = await send('vk-test-5m');
  assert.equal(refused.status, 429);
  assert.equal(errorCode(refused.body), 'rate_limit_exceeded');
  // The window is 10:00–10:05, so the limit resets 120 s later.
  assert.equal(refused.headers.get('retry-after'), '120');
  assert.equal(refused.headers.get('x-ratelimit-reset-requests'), '120s');
  clock.time = Date.parse('2027-02-11T10:05:00Z');
  assert.equal((await send('vk-test-5m')).status, 200);
});
