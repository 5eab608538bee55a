import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { chat, clientFor, errorCode } from './helpers.js';

let running: RunningGateway;

before(async () => {
  running = await startGateway({
    providers: {
      mock: { type: 'mock', models: ['mock-small', 'mock-large'] },
      other: { type: 'mock', models: ['mock-small'], mock: { reply: 'from other' } },
    },
    routes: { smart: { targets: [{ model: 'mock/mock-large' }] } },
    virtual_keys: [
      { id: 'all', value: 'vk-test-all', models: ['*'] },
      { id: 'small-only', value: 'vk-test-small', models: ['mock/mock-small'] },
      { id: 'provider-wide', value: 'vk-test-provider', models: ['other/*'] },
      { id: 'route-only', value: 'vk-test-route', models: ['smart'] },
      { id: 'bare', value: 'vk-test-bare', models: ['mock-small'], providers: ['other'] },
      { id: 'nothing', value: 'vk-test-nothing' },
      { id: 'off', value: 'vk-test-off', models: ['*'], active: false },
      { id: 'old', value: 'vk-test-old', models: ['*'], expires_at: '2020-01-01T00:00:00Z' },
    ],
  });
});

after(() => running.close());

test('each accepted header carries the virtual key', async () => {
  const headers: Record<string, string>[] = [{ authorization: 'Bearer vk-test-all' }, { 'x-api-key': 'vk-test-all' }, { 'x-goog-api-key': 'vk-test-all' }, { 'x-tollgate-key': 'vk-test-all' }];
  for (const header of headers) {
    const result = await chat(running.url, header);
    assert.equal(result.status, 200, JSON.stringify(header));
  }
});

test('x-tollgate-key wins over a provider key in Authorization', async () => {
  const result = await chat(running.url, { authorization: 'Bearer some-provider-key', 'x-tollgate-key': 'vk-test-all' });
  assert.equal(result.status, 200);
});

test('missing or unknown keys get 401 invalid_api_key, through the SDK too', async () => {
  const missing = await chat(running.url, {});
  assert.equal(missing.status, 401);
  assert.equal(errorCode(missing.body), 'invalid_api_key');
  const unknown = await chat(running.url, { authorization: 'Bearer vk-test-nope' });
  assert.equal(unknown.status, 401);
  assert.doesNotMatch(unknown.text, /vk-test-nope/);
  await assert.rejects(clientFor(running.url, 'vk-test-unknown').chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }), (error: { status?: number }) => error.status === 401);
});

test('inactive keys get 403 key_inactive and expired keys 403 key_expired', async () => {
  const off = await chat(running.url, { authorization: 'Bearer vk-test-off' });
  assert.equal(off.status, 403);
  assert.equal(errorCode(off.body), 'key_inactive');
  const old = await chat(running.url, { authorization: 'Bearer vk-test-old' });
  assert.equal(old.status, 403);
  assert.equal(errorCode(old.body), 'key_expired');
});

test('models: exact provider/model allows only that model', async () => {
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-small' })).status, 200);
  const refused = await chat(running.url, { authorization: 'Bearer vk-test-small' }, { model: 'mock/mock-large' });
  assert.equal(refused.status, 403);
  assert.equal(errorCode(refused.body), 'model_not_allowed');
});

test('models: provider/* allows that provider only', async () => {
  const allowed = await chat(running.url, { authorization: 'Bearer vk-test-provider' }, { model: 'other/mock-small' });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get('x-tollgate-provider'), 'other');
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-provider' }, { model: 'mock/mock-small' })).status, 403);
  // A bare model served by both providers is narrowed to the allowed one.
  const bare = await chat(running.url, { authorization: 'Bearer vk-test-provider' }, { model: 'mock-small' });
  assert.equal(bare.status, 200);
  assert.equal(bare.headers.get('x-tollgate-provider'), 'other');
});

test('models: a route name allows the route, not its models directly', async () => {
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-route' }, { model: 'smart' })).status, 200);
  assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-route' }, { model: 'mock/mock-large' })).status, 403);
});

test('models: caller-sent fallbacks are checked on their own', async () => {
  const result = await chat(running.url, { authorization: 'Bearer vk-test-route' }, { model: 'smart', fallbacks: ['mock/mock-small'] });
  // Allowed because the route itself is; the fallback group is dropped rather than granted.
  assert.equal(result.status, 200);
  assert.equal(result.headers.get('x-tollgate-model'), 'mock-large');
});

test('providers filter narrows targets and refuses when none is left', async () => {
  for (let index = 0; index < 5; index++) {
    const result = await chat(running.url, { authorization: 'Bearer vk-test-bare' }, { model: 'mock-small' });
    assert.equal(result.status, 200);
    assert.equal(result.headers.get('x-tollgate-provider'), 'other');
  }
  const refused = await chat(running.url, { authorization: 'Bearer vk-test-bare' }, { model: 'mock/mock-small' });
  assert.equal(refused.status, 403);
  assert.equal(errorCode(refused.body), 'provider_not_allowed');
});

test('a key without models may use nothing (deny by default)', async () => {
  const result = await chat(running.url, { authorization: 'Bearer vk-test-nothing' });
  assert.equal(result.status, 403);
  assert.equal(errorCode(result.body), 'model_not_allowed');
});

test('GET /v1/models lists only what the key may use', async () => {
  const models = await clientFor(running.url, 'vk-test-small').models.list();
  // The bare name is listed too: sent by this key, it is narrowed to mock/mock-small.
  assert.deepEqual(models.data.map((model) => model.id).sort(), ['mock-small', 'mock/mock-small']);
  const all = await clientFor(running.url, 'vk-test-all').models.list();
  assert.ok(all.data.length > 3);
});

test('no virtual key value appears in any log line', () => {
  const logs = running.logs.join('\n');
  assert.doesNotMatch(logs, /vk-test-/);
});
