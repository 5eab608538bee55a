import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connectRedis, deleteKeys, REDIS_URL, uniquePrefix } from '../governance/redis.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { sendCompletion, startScriptedUpstream } from './scripted-upstream.js';

/**
 * Three gateways on loopback sharing circuit state through the machine's Redis (a key prefix of
 * their own). One upstream serves all three, told apart by the provider key each replica sends:
 * it fails only for replica A's traffic while `failingFor` says so.
 */
const prefix = uniquePrefix('routing');
const OPEN_MS = 3_000;
const upstream = await startScriptedUpstream();
let failingFor = new Set<string>(['replica-a']);
let hits: string[] = [];
upstream.fallback = (request, response) => {
  const replica = String(request.headers.authorization ?? '').replace(/^Bearer test-key-/, '');
  hits.push(replica);
  if (!failingFor.has(replica)) return sendCompletion(response, `answered for ${replica}`);
  response.writeHead(503, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: { message: 'Service Unavailable', type: 'server_error' } }));
};

function replicaConfig(name: string): Record<string, unknown> {
  return {
    logging: { level: 'error', requests: false },
    providers: { primary: { type: 'openai', base_url: upstream.url, keys: [{ id: 'shared-key', value: `test-key-${name}` }], models: ['gpt-4o-mini'], max_retries: 0 } },
    routing: {
      circuit_breaker: { consecutive_failures: 3, open_ms: OPEN_MS },
      retry: { base_backoff_ms: 1 },
      shared_state: { type: 'redis', url: REDIS_URL, key_prefix: prefix },
    },
  };
}

const replicas: Record<string, RunningGateway> = {};
for (const name of ['replica-a', 'replica-b', 'replica-c']) replicas[name] = await startGateway(replicaConfig(name));

after(async () => {
  for (const replica of Object.values(replicas)) await replica.close();
  await upstream.close();
  const redis = await connectRedis();
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

async function ask(replica: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${replicas[replica]!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'primary/gpt-4o-mini', messages: [{ role: 'user', content: 'status?' }] }),
  });
  const body = (await response.json()) as { error?: { code?: string } };
  return { status: response.status, ...(body.error?.code === undefined ? {} : { code: body.error.code }) };
}

async function state(replica: string): Promise<{ state: string; reason?: string }> {
  const health = (await (await fetch(`${replicas[replica]!.url}/health/providers`)).json()) as { targets: { target: string; state: string; reason?: string }[] };
  const target = health.targets.find((entry) => entry.target === 'primary/gpt-4o-mini')!;
  return { state: target.state, ...(target.reason === undefined ? {} : { reason: target.reason }) };
}

/** Polls until every replica reports `wanted` (the propagation bound is the deadline, not an assertion on time). */
async function untilEvery(wanted: string, deadlineMs = 10_000): Promise<Record<string, string>> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const states: Record<string, string> = {};
    for (const name of Object.keys(replicas)) states[name] = (await state(name)).state;
    if (Object.values(states).every((value) => value === wanted) || Date.now() > deadline) return states;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('an outage only replica A sees opens the circuit on B and C too; they refuse without calling the provider', async () => {
  assert.equal((await ask('replica-b')).status, 200);
  for (let index = 0; index < 3; index++) assert.equal((await ask('replica-a')).status, 503);
  assert.equal((await state('replica-a')).state, 'open');
  assert.deepEqual(await untilEvery('open'), { 'replica-a': 'open', 'replica-b': 'open', 'replica-c': 'open' });
  assert.match((await state('replica-b')).reason ?? '', /failures in a row.*\(on another replica\)/);
  hits = [];
  const refused = await ask('replica-c');
  assert.equal(refused.status, 503);
  assert.equal(refused.code, 'no_target_available');
  assert.deepEqual(hits, [], 'replica C did not call the provider while the shared circuit was open');
});

test('when the open period ends exactly one replica probes; its failure re-opens the circuit everywhere, its success closes it everywhere', async () => {
  // Still down for everyone's traffic: whichever replica wins the probe fails it.
  failingFor = new Set(['replica-a', 'replica-b', 'replica-c']);
  // Past the open period (a pause, not an assertion on time): one replica holds the probe, the others hold the circuit open.
  await new Promise((resolve) => setTimeout(resolve, OPEN_MS + 500));
  const states = await Promise.all(Object.keys(replicas).map(async (name) => (await state(name)).state));
  assert.equal(states.filter((value) => value === 'half-open').length, 1, `one replica half-open, the others open: ${states.join(', ')}`);
  hits = [];
  // Every replica gets a request at once while half-open: only the probe's owner lets one through.
  await Promise.all(Object.keys(replicas).map((name) => ask(name)));
  assert.equal(hits.length, 1, `one probe reached the provider, not one per replica: ${hits.join(', ')}`);
  assert.deepEqual(await untilEvery('open'), { 'replica-a': 'open', 'replica-b': 'open', 'replica-c': 'open' });

  // The provider recovers: the next probe (whoever owns it) closes the circuit on all three.
  failingFor = new Set();
  const deadline = Date.now() + OPEN_MS * 10;
  let served = false;
  while (!served && Date.now() < deadline) {
    for (const name of Object.keys(replicas)) served ||= (await ask(name)).status === 200;
    if (!served) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(served, 'a probe was let through and succeeded');
  assert.deepEqual(await untilEvery('closed'), { 'replica-a': 'closed', 'replica-b': 'closed', 'replica-c': 'closed' });
  for (const name of Object.keys(replicas)) assert.equal((await ask(name)).status, 200);
});

test('/ready names the shared routing state as a fail-open dependency', async () => {
  const ready = (await (await fetch(`${replicas['replica-a']!.url}/ready`)).json()) as { status: string; dependencies: Record<string, { status: string; policy: string }> };
  assert.equal(ready.status, 'ready');
  assert.deepEqual({ status: ready.dependencies.routing_shared_state?.status, policy: ready.dependencies.routing_shared_state?.policy }, { status: 'up', policy: 'fail-open' });
});
