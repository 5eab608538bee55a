import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { startGateway } from '../helpers/gateway.js';
import { uniquePrefix } from './redis.js';

/**
 * A private Redis (`redis-server --port <free port> --save ''`) the test kills mid-load and starts
 * again on the same port: budgets fail closed (503 `ledger_unavailable` in the caller's dialect),
 * `/ready` says which dependency is down under which policy, and the same gateway recovers on its own.
 */
const VIRTUAL_KEY = 'vk-' + 'outage-test-' + 'key';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  // Never outlive the test process, whatever happens to it.
  process.once('exit', () => child.kill('SIGKILL'));
  for (let tries = 0; ; tries++) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      if (tries >= 200) {
        child.kill('SIGKILL');
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      client.disconnect();
    }
  }
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const port = await freePort();
let redis = await startRedis(port);
const running = await startGateway({
  logging: { level: 'error', requests: false },
  providers: { mock: { type: 'mock', models: ['mock-small'] } },
  governance: { spend_store: { type: 'redis', url: `redis://127.0.0.1:${port}`, key_prefix: uniquePrefix('outage') } },
  virtual_keys: [{ id: 'k1', value: VIRTUAL_KEY, models: ['*'], budgets: [{ max_usd: 1000, period: '1d' }] }],
});
// The same on the fail-open policy: requests pass unmetered while Redis is away.
const serving = await startGateway({
  logging: { level: 'error', requests: false },
  providers: { mock: { type: 'mock', models: ['mock-small'] } },
  governance: { spend_store: { type: 'redis', url: `redis://127.0.0.1:${port}`, key_prefix: uniquePrefix('outage-open'), when_unavailable: 'serve' } },
  virtual_keys: [{ id: 'k1', value: VIRTUAL_KEY, models: ['*'], budgets: [{ max_usd: 1000, period: '1d' }] }],
});
after(async () => {
  await running.close();
  await serving.close();
  await stopRedis(redis);
});

const openai = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: VIRTUAL_KEY, maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: VIRTUAL_KEY, maxRetries: 0 });

/** One request in the OpenAI dialect: its status and error code (200 and none when served). */
async function askOpenAI(): Promise<string> {
  try {
    await openai.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });
    return '200';
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return `${error.status} ${(error.error as { code?: string }).code}`;
  }
}

async function readiness(): Promise<{ status: number; body: { status: string; dependencies: Record<string, { status: string; policy: string; effect?: string }> } }> {
  const response = await fetch(`${running.url}/ready`);
  return { status: response.status, body: (await response.json()) as never };
}

test('Redis killed mid-load: requests are served or refused with 503 ledger_unavailable, never anything else; /ready names the ledger (fail-closed) and the shared circuits (fail-open); a restarted Redis is picked up without restarting the gateway', async () => {
  assert.equal((await readiness()).status, 200);
  const seen: string[] = [];
  let loading = true;
  const load = Promise.all(
    Array.from({ length: 6 }, async () => {
      while (loading) seen.push(await askOpenAI());
    }),
  );
  while (seen.length < 30) await new Promise((resolve) => setTimeout(resolve, 10));
  await stopRedis(redis);
  const atKill = seen.length;
  // The load keeps going until the outage shows in the answers.
  while (!seen.slice(atKill).includes('503 ledger_unavailable')) await new Promise((resolve) => setTimeout(resolve, 10));
  loading = false;
  await load;
  assert.deepEqual(new Set(seen), new Set(['200', '503 ledger_unavailable']));

  // Fail closed, in each caller's dialect.
  assert.equal(await askOpenAI(), '503 ledger_unavailable');
  await assert.rejects(
    anthropic.messages.create({ model: 'mock/mock-small', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, 503);
      assert.equal((error.error as { type?: string }).type, 'error');
      assert.match(JSON.stringify(error.error), /spend ledger is unreachable/);
      assert.ok(Number(error.headers?.get('retry-after')) >= 1);
      return true;
    },
  );
  const down = await readiness();
  assert.equal(down.status, 503);
  assert.equal(down.body.status, 'not_ready');
  assert.deepEqual({ status: down.body.dependencies.governance?.status, policy: down.body.dependencies.governance?.policy }, { status: 'down', policy: 'fail-closed' });
  assert.match(down.body.dependencies.governance?.effect ?? '', /503 ledger_unavailable/);
  // The circuits shared on the same Redis (routing.shared_state: auto) fall back to each replica's own.
  assert.deepEqual({ status: down.body.dependencies.routing_shared_state?.status, policy: down.body.dependencies.routing_shared_state?.policy }, { status: 'down', policy: 'fail-open' });

  // when_unavailable: serve answers, and says it is degraded, not down.
  const unmetered = await new OpenAI({ baseURL: `${serving.url}/v1`, apiKey: VIRTUAL_KEY, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(unmetered.object, 'chat.completion');
  const servingReady = await fetch(`${serving.url}/ready`);
  const servingBody = (await servingReady.json()) as { status: string; dependencies: Record<string, { status: string; policy: string }> };
  assert.equal(servingReady.status, 200);
  assert.equal(servingBody.status, 'degraded');
  assert.deepEqual({ status: servingBody.dependencies.governance?.status, policy: servingBody.dependencies.governance?.policy }, { status: 'down', policy: 'fail-open' });

  // Back on the same port: the gateway reconnects by itself.
  redis = await startRedis(port);
  let answer = await askOpenAI();
  for (let tries = 0; answer !== '200' && tries < 200; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer = await askOpenAI();
  }
  assert.equal(answer, '200');
  let ready = await readiness();
  for (let tries = 0; ready.body.status !== 'ready' && tries < 200; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    ready = await readiness();
  }
  assert.equal(ready.body.status, 'ready');
  assert.equal(ready.body.dependencies.routing_shared_state?.status, 'up');
  const reply = await anthropic.messages.create({ model: 'mock/mock-small', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(reply.type, 'message');
});
