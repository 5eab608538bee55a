import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { connectRedis, deleteKeys, keysUnder, REDIS_URL, uniquePrefix } from '../governance/redis.js';

/**
 * A request still running when the shutdown grace ends is cut with its connection. Its settle must
 * still reach the ledger: the server lets such requests unwind before the gateway closes its modules,
 * and governance waits for the settles it sent before it closes the Redis connection.
 */
const VIRTUAL_KEY = 'vk-' + 'shutdown-cut-' + 'key';

test('a stream still running when the shutdown grace ends is cut, and its reservation is released before the ledger closes (not left to be charged at its TTL)', async () => {
  const prefix = uniquePrefix('shutdown-cut');
  const running = await startGateway({
    logging: { level: 'error', requests: false },
    server: { shutdown_grace_ms: 200 },
    providers: { mock: { type: 'mock', models: ['slow'], mock: { chunk_interval_ms: 100, reply: Array.from({ length: 100 }, (_, index) => `word${index}`).join(' ') } } },
    governance: { spend_store: { type: 'redis', url: REDIS_URL, key_prefix: prefix } },
    routing: { shared_state: { type: 'local' } },
    virtual_keys: [{ id: 'k1', value: VIRTUAL_KEY, models: ['*'], budgets: [{ max_usd: 1000, period: '1d' }] }],
  });
  const redis = await connectRedis();
  try {
    const response = await request(`${running.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${VIRTUAL_KEY}` },
      body: JSON.stringify({ model: 'mock/slow', stream: true, messages: [{ role: 'user', content: 'go' }] }),
    });
    assert.equal(response.statusCode, 200);
    const reading = (async () => {
      for await (const _chunk of response.body) {
        // Read until the gateway cuts the stream at the end of its grace.
      }
    })().catch(() => undefined);
    // Reservations are fields of the per-minute bucket hashes `<prefix>rb:<start>` (beside each bucket's marker `s`).
    const reservations = async () => {
      const ids: string[] = [];
      for (const bucket of await keysUnder(redis, `${prefix}rb:`)) ids.push(...(await redis.hkeys(bucket)).filter((field) => field !== 's'));
      return ids;
    };
    const deadline = Date.now() + 10_000;
    while ((await reservations()).length === 0) {
      assert.ok(Date.now() < deadline, 'the stream reserved within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await running.close();
    await reading;
    assert.deepEqual(await reservations(), [], 'no reservation left behind');
  } finally {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }
});
