import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, cacheConfig, KEY_A, KEY_B, KEY_C, startCached } from './helpers.js';

/**
 * Where a request's cache settings come from: the top level, then its route's `cache`, then its
 * key's (config file or admin API), then its headers, each over the one before.
 */

let fake: FakeUpstream;
let running: RunningGateway;

before(async () => {
  fake = await startOpenAIFake();
  const config = cacheConfig(fake.url, { enabled: false }, {
    routes: {
      'cached-route': { targets: [{ model: 'openai/gpt-test' }], cache: { enabled: true, ttl_seconds: 120 } },
      'plain-route': { targets: [{ model: 'openai/gpt-test' }] },
    },
  });
  const keys = config.virtual_keys as Record<string, unknown>[];
  // bravo turns the cache off for itself, carol on: a key's settings win over its route's.
  keys[1] = { ...keys[1], cache: { enabled: false } };
  keys[2] = { ...keys[2], cache: { enabled: true } };
  running = await startCached(config);
});
after(async () => {
  await running.close();
  await fake.close();
});

let unique = 0;
const fresh = (label: string) => `${label} #${++unique}`;

async function ask(key: string, model: string, content: string, headers: Record<string, string> = {}): Promise<string | null> {
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: headers });
  const { response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content }] }).withResponse();
  return response.headers.get('x-tollgate-cache');
}

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${running.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

test('a route with cache settings caches its requests; other routes and models follow the top level (off)', async () => {
  const question = fresh('route question');
  assert.equal(await ask(KEY_A, 'cached-route', question), 'miss');
  assert.equal(await ask(KEY_A, 'cached-route', question), 'hit-exact');
  assert.equal(await ask(KEY_A, 'plain-route', question), null, 'the cache is off for this route');
  assert.equal(await ask(KEY_A, 'openai/gpt-test', question), null, 'and for a model named directly');
  assert.equal(await ask(KEY_A, 'cached-route', question, { 'x-tollgate-cache': 'off' }), 'bypass', 'a request header narrows the route');
});

test("a key's settings win over its route's: off on a caching route, on where the route says nothing", async () => {
  const question = fresh('key question');
  assert.equal(await ask(KEY_B, 'cached-route', question), null);
  assert.equal(await ask(KEY_B, 'cached-route', question), null);
  assert.equal(await ask(KEY_C, 'plain-route', question), 'miss');
  assert.equal(await ask(KEY_C, 'plain-route', question), 'hit-exact');
});

test('a key created and changed through the admin API with a cache section is honoured', async () => {
  const created = await admin('POST', '/admin/keys', { id: 'made-by-api', models: ['*'], cache: { enabled: true } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const secret = created.body.value as string;
  const question = fresh('admin key question');
  assert.equal(await ask(secret, 'plain-route', question), 'miss');
  assert.equal(await ask(secret, 'plain-route', question), 'hit-exact');

  const patched = await admin('PATCH', '/admin/keys/made-by-api', { cache: { enabled: false } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.equal(await ask(secret, 'plain-route', question), null, 'off for the key once patched');
  // A key that turns caching off stays off on a caching route; one that says nothing follows the route.
  assert.equal(await ask(secret, 'cached-route', question), null);
  const plain = await admin('POST', '/admin/keys', { id: 'plain-by-api', models: ['*'] });
  const other = plain.body.value as string;
  assert.equal(await ask(other, 'plain-route', question), null);
  assert.equal(await ask(other, 'cached-route', question), 'miss');
  // Entries stay per key: the earlier key's answer on this route is not this key's.
  assert.equal(await ask(other, 'cached-route', question), 'hit-exact');
});
