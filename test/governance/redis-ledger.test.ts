import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { ConfigError } from '../../src/config/config-error.js';
import { validateConfig } from '../../src/config/load.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { chat, DEAR_PRICING } from './helpers.js';
import { connectRedis, deleteKeys, keysUnder, REDIS_URL, uniquePrefix } from './redis.js';

const BODY = { max_tokens: 8, messages: [{ role: 'user', content: 'hello there' }] };
const providers = { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 8, latency_ms: 20 } } };
const KEY = { authorization: 'Bearer vk-test-shared' };

let redis: Redis;
const prefixes: string[] = [];
let costOfOne = 0;

function ledgerPrefix(): string {
  const prefix = uniquePrefix('replicas');
  prefixes.push(prefix);
  return prefix;
}

/** One replica: its own process state and storage, the ledger in the shared Redis. */
function replica(prefix: string, budgetUsd: number, url = REDIS_URL): Promise<RunningGateway> {
  return startGateway({
    providers,
    pricing: DEAR_PRICING,
    virtual_keys: [{ id: 'shared', value: 'vk-test-shared', models: ['*'], budgets: [{ max_usd: budgetUsd }] }],
    governance: { spend_store: { type: 'redis', url, key_prefix: prefix } },
  });
}

async function usageOf(running: RunningGateway): Promise<{ spent_usd: number; reserved_usd: number }> {
  const response = await fetch(`${running.url}/v1/usage`, { headers: KEY });
  assert.equal(response.status, 200);
  return ((await response.json()) as { budgets: { spent_usd: number; reserved_usd: number }[] }).budgets[0]!;
}

before(async () => {
  redis = await connectRedis();
  const probe = await startGateway({ providers, pricing: DEAR_PRICING, virtual_keys: [{ id: 'probe', value: 'vk-test-probe', models: ['*'] }] });
  costOfOne = Number((await chat(probe.url, { authorization: 'Bearer vk-test-probe' }, BODY)).headers.get('x-tollgate-cost'));
  await probe.close();
  assert.ok(costOfOne > 0);
});

after(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, prefix);
  await redis.quit();
});

test('two gateways sharing one Redis ledger never spend more than a key budget together', async () => {
  const prefix = ledgerPrefix();
  const budget = costOfOne * 10;
  const first = await replica(prefix, budget);
  const second = await replica(prefix, budget);
  try {
    // Each replica sees what the other charged.
    assert.equal((await chat(first.url, KEY, BODY)).status, 200);
    assert.equal((await chat(second.url, KEY, BODY)).status, 200);
    assert.ok(Math.abs((await usageOf(first)).spent_usd - 2 * costOfOne) < 1e-9);
    assert.ok(Math.abs((await usageOf(second)).spent_usd - 2 * costOfOne) < 1e-9);

    const results = await Promise.all(Array.from({ length: 200 }, (_, index) => chat((index % 2 === 0 ? first : second).url, KEY, BODY)));
    const served = results.filter((result) => result.status === 200);
    assert.equal(served.length + results.filter((result) => result.status === 402).length, 200);
    assert.ok(served.length >= 1 && served.length <= 8, `served ${served.length} more after 2`);
    const charged = 2 * costOfOne + served.reduce((sum, result) => sum + Number(result.headers.get('x-tollgate-cost')), 0);
    assert.ok(charged <= budget + 1e-12, `charged ${charged} > budget ${budget}`);

    const [seenByFirst, seenBySecond] = [await usageOf(first), await usageOf(second)];
    assert.deepEqual(seenByFirst, seenBySecond);
    assert.ok(seenByFirst.spent_usd <= budget + 1e-12, `spent ${seenByFirst.spent_usd} > budget ${budget}`);
    assert.ok(Math.abs(seenByFirst.spent_usd - charged) < 1e-9);
    assert.ok(seenByFirst.reserved_usd < 1e-12);
  } finally {
    await first.close();
    await second.close();
  }
  assert.ok((await keysUnder(redis, prefix)).length > 0, 'the ledger lives in Redis under the configured prefix');
});

test('an unreachable Redis stops start-up with an error naming governance.spend_store.url, without the password', async () => {
  const error = await replica(ledgerPrefix(), 1, 'redis://tollgate:test-redis-password@127.0.0.1:1').then(
    (running) => running.close().then(() => undefined),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ConfigError, String(error));
  assert.equal(error.issues[0]!.path, 'governance.spend_store.url');
  assert.match(error.message, /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED/);
  assert.doesNotMatch(error.message, /test-redis-password/);
});

test('the spend store config: memory by default, redis needs a url, ${REDIS_URL} is expanded', () => {
  assert.deepEqual(validateConfig({ providers }, 'test').governance.spend_store, { type: 'memory' });
  const expanded = validateConfig({ providers, governance: { spend_store: { type: 'redis', url: '${REDIS_URL}' } } }, 'test', { REDIS_URL: 'rediss://cache.internal:6380/2' });
  assert.deepEqual(expanded.governance.spend_store, { type: 'redis', url: 'rediss://cache.internal:6380/2' });
  const issuesOf = (raw: unknown, environment: NodeJS.ProcessEnv = {}) => {
    try {
      validateConfig({ providers, ...(raw as object) }, 'test', environment);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    }
    return [];
  };
  assert.deepEqual(issuesOf({ governance: { spend_store: { type: 'redis' } } }).map((issue) => issue.split(':')[0]), ['governance.spend_store.url']);
  assert.match(issuesOf({ governance: { spend_store: { type: 'redis', url: '${REDIS_URL}' } } })[0]!, /^governance\.spend_store\.url: environment variable REDIS_URL is not set/);
  assert.match(issuesOf({ governance: { spend_store: { type: 'redis', url: 'http://127.0.0.1:6379' } } })[0]!, /^governance\.spend_store\.url: expected a redis:\/\/ or rediss:\/\/ URL/);
  assert.match(issuesOf({ governance: { spend_store: { type: 'postgres' } } })[0]!, /^governance\.spend_store\.type:/);
});

/** A TCP relay to the real Redis that the test can cut, to simulate an outage. */
async function startRelay(): Promise<{ url: string; connections: () => number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const target = new URL(REDIS_URL);
  const server: Server = createServer((incoming) => {
    const outgoing = connect(Number(target.port || 6379), target.hostname);
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    incoming.pipe(outgoing).pipe(incoming);
    incoming.on('close', () => outgoing.destroy());
    outgoing.on('close', () => incoming.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => sockets.size,
    async cut() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

test('/ready reports the Redis ledger, and close() quits its connection', async () => {
  const relay = await startRelay();
  const running = await replica(ledgerPrefix(), 1, relay.url);
  let closed = false;
  try {
    const ready = await fetch(`${running.url}/ready`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { checks: Record<string, string> }).checks.governance, 'ok');
    assert.ok(relay.connections() > 0);

    await running.close();
    closed = true;
    for (let attempt = 0; attempt < 200 && relay.connections() > 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(relay.connections(), 0, 'the gateway closed its Redis connection');
  } finally {
    if (!closed) await running.close();
    await relay.cut();
  }
});

test('/ready turns not ready while Redis is unreachable', async () => {
  const relay = await startRelay();
  const running = await replica(ledgerPrefix(), 1, relay.url);
  try {
    await relay.cut();
    let body: { status: string; checks: Record<string, string> } | undefined;
    let status = 0;
    for (let attempt = 0; attempt < 200 && status !== 503; attempt++) {
      const response = await fetch(`${running.url}/ready`);
      status = response.status;
      body = (await response.json()) as typeof body;
      if (status !== 503) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(status, 503);
    assert.match(body!.checks.governance!, /Redis spend store at redis:\/\/127\.0\.0\.1:\d+ is (connecting|reconnecting|close|end)/);
    assert.ok(running.logs.some((line) => line.includes('the Redis spend store is unreachable')));

    const refused = await fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { ...KEY, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-small', ...BODY }) });
    assert.equal(refused.status, 503, 'refused, never let through unmetered');
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'ledger_unavailable');
    assert.equal(refused.headers.get('retry-after'), '1');
  } finally {
    await running.close();
  }
});
