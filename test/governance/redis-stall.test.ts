import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LEDGER_ANSWER_TIMEOUT_MS } from '../../src/governance/ledger-deadline.js';
import { startGateway } from '../helpers/gateway.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { connectRedis, deleteKeys, REDIS_URL, uniquePrefix } from './redis.js';

/**
 * The Redis ledger reached through a relay the test stalls: the connection stays open and nothing
 * comes back, as with a paused Redis or a link gone silent. Requests must be refused in bounded
 * time, and what the ledger does for them once it answers again must not stay reserved or be charged.
 */
const VIRTUAL_KEY = 'vk-' + 'stall-test-' + 'key';
const redisUrl = new URL(REDIS_URL);
const relay = new TcpRelay(redisUrl.hostname, Number(redisUrl.port || 6379));
await relay.open();
const prefix = uniquePrefix('stall');
const running = await startGateway({
  logging: { level: 'error', requests: false },
  providers: { mock: { type: 'mock', models: ['mock-small'] } },
  governance: { spend_store: { type: 'redis', url: `redis://127.0.0.1:${relay.port}`, key_prefix: prefix } },
  routing: { shared_state: { type: 'local' } },
  virtual_keys: [{ id: 'k1', value: VIRTUAL_KEY, models: ['*'], budgets: [{ max_usd: 1000, period: '1d' }] }],
});
after(async () => {
  await running.close();
  await relay.cut();
  const client = await connectRedis();
  await deleteKeys(client, prefix);
  client.disconnect();
});

async function ask(): Promise<{ status: number; code?: string; retryAfter: string | null }> {
  const response = await fetch(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${VIRTUAL_KEY}` },
    body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }),
    // Bounded, so a request that hangs fails the test instead of hanging it.
    signal: AbortSignal.timeout(LEDGER_ANSWER_TIMEOUT_MS * 3),
  });
  const body = (await response.json()) as { error?: { code?: string } };
  return { status: response.status, ...(body.error?.code === undefined ? {} : { code: body.error.code }), retryAfter: response.headers.get('retry-after') };
}

/** The key's budget once nothing is reserved on it any more (a settle lands just after its answer), or after 2 s. */
async function settledBudget(): Promise<{ spent_usd: number; reserved_usd: number }> {
  for (let tries = 0; ; tries++) {
    const response = await fetch(`${running.url}/v1/usage`, { headers: { authorization: `Bearer ${VIRTUAL_KEY}` } });
    const budget = ((await response.json()) as { budgets: { spent_usd: number; reserved_usd: number }[] }).budgets[0]!;
    if (budget.reserved_usd === 0 || tries >= 100) return budget;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a Redis ledger that stops answering: requests get 503 ledger_unavailable within the bound, and the reservations it makes once it answers again are released, not held or charged', async () => {
  assert.equal((await ask()).status, 200);
  const before = await settledBudget();
  relay.stall();
  let resumed = false;
  try {
    const started = Date.now();
    const refused = await Promise.all([ask(), ask(), ask()]);
    const took = Date.now() - started;
    assert.deepEqual(refused, Array.from({ length: 3 }, () => ({ status: 503, code: 'ledger_unavailable', retryAfter: '1' })));
    assert.ok(took < LEDGER_ANSWER_TIMEOUT_MS * 1.25 + 1_000, `refused after ${took} ms`);
    relay.resume();
    resumed = true;
  } finally {
    if (!resumed) relay.resume();
  }
  // The three reservations reach Redis now, after their requests were refused.
  const after = await settledBudget();
  assert.deepEqual({ spent: after.spent_usd, reserved: after.reserved_usd }, { spent: before.spent_usd, reserved: 0 });
  assert.equal((await ask()).status, 200);
});
