import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

// Made-up keys, split so that secret scanners do not take them for real ones.
const ALPHA_KEY = 'sk-' + 'alpha-wildcard-key';
const MINI_KEY = 'sk-' + 'beta-mini-key';
const O1_KEY = 'sk-' + 'beta-o1-key';

const EVERYTHING = 'vk-wildcard-everything';
const ALPHA_ONLY = 'vk-wildcard-alpha-only';
const GPT_4O_FAMILY = 'vk-wildcard-gpt-4o-family';
const GAMMA_MINI = 'vk-wildcard-gamma-mini';

let upstream: FakeUpstream;
let running: RunningGateway;

before(async () => {
  upstream = await startOpenAIFake();
  const provider = { type: 'openai', base_url: `${upstream.url}/v1`, max_retries: 0 };
  running = await startGateway({
    providers: {
      // The outside test's case: a key allowed every model of a provider that lists one model.
      alpha: { ...provider, keys: [{ value: ALPHA_KEY, models: ['*'] }], models: ['echo'] },
      // Keys limited by prefix and by name; the provider itself takes any model.
      beta: { ...provider, keys: [{ id: 'mini', value: MINI_KEY, models: ['gpt-4o-mini*'] }, { id: 'o1', value: O1_KEY, models: ['o1'] }] },
      // A wildcard in the provider's own list.
      gamma: { ...provider, keys: [{ value: ALPHA_KEY }], models: ['gpt-4o*'] },
    },
    virtual_keys: [
      { id: 'everything', value: EVERYTHING, models: ['*'] },
      { id: 'alpha-only', value: ALPHA_ONLY, models: ['alpha/*'] },
      { id: 'gpt-4o-family', value: GPT_4O_FAMILY, models: ['gpt-4o*'] },
      { id: 'gamma-mini', value: GAMMA_MINI, models: ['*'], providers: [{ name: 'gamma', models: ['gpt-4o-mini*'] }] },
    ],
  });
});

after(async () => {
  await running.close();
  await upstream.close();
});

function client(key: string): OpenAI {
  return new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0 });
}

async function ask(key: string, model: string): Promise<string> {
  const completion = await client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 });
  return completion.choices[0]!.message.content ?? '';
}

async function refusal(key: string, model: string): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await ask(key, model);
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  assert.fail(`${model} was answered`);
}

function lastAuthorization(): unknown {
  return upstream.requests.at(-1)!.headers.authorization;
}

test('a provider key with `models: [\'*\']` serves every model of its provider, by `provider/model` and by bare name', async () => {
  assert.equal(await ask(EVERYTHING, 'alpha/echo'), 'Hello from the fake upstream.');
  assert.equal(lastAuthorization(), `Bearer ${ALPHA_KEY}`);
  assert.equal(upstream.requests.at(-1)!.summary?.model, 'echo');
  await ask(EVERYTHING, 'echo');
  assert.equal(upstream.requests.at(-1)!.summary?.model, 'echo');
  const listed = [];
  for await (const model of client(EVERYTHING).models.list()) listed.push(model.id);
  assert.ok(listed.includes('alpha/echo'), listed.join(', '));
});

test('a key limited by a prefix serves the models starting with it; the refusal of others names the key restriction', async () => {
  await ask(EVERYTHING, 'beta/gpt-4o-mini-2024-07-18');
  assert.equal(lastAuthorization(), `Bearer ${MINI_KEY}`);
  await ask(EVERYTHING, 'beta/gpt-4o-mini');
  assert.equal(lastAuthorization(), `Bearer ${MINI_KEY}`, 'the prefix itself matches');
  await ask(EVERYTHING, 'beta/o1');
  assert.equal(lastAuthorization(), `Bearer ${O1_KEY}`);
  const sent = upstream.requests.length;
  const refused = await refusal(EVERYTHING, 'beta/gpt-4o');
  assert.equal(refused.status, 404);
  assert.equal(refused.code, 'model_not_found');
  assert.match(refused.message, /no key of provider `beta` may serve `gpt-4o`/);
  assert.doesNotMatch(refused.message, /not configured to serve/);
  assert.equal(upstream.requests.length, sent, 'nothing was sent upstream');
});

test('a wildcard in a provider\'s `models` admits `provider/model` names; bare names resolve only through exact entries', async () => {
  await ask(EVERYTHING, 'gamma/gpt-4o-mini');
  assert.equal(upstream.requests.at(-1)!.summary?.model, 'gpt-4o-mini');
  const other = await refusal(EVERYTHING, 'gamma/claude-sonnet-4-5');
  assert.equal(other.status, 404);
  assert.match(other.message, /provider `gamma` is not configured to serve `claude-sonnet-4-5`/);
  const bare = await refusal(EVERYTHING, 'gpt-4o-mini');
  assert.equal(bare.status, 404);
  const listed = [];
  for await (const model of client(EVERYTHING).models.list()) listed.push(model.id);
  assert.ok(!listed.some((id) => id.includes('*')), `no wildcard entry is listed as a model: ${listed.join(', ')}`);
});

test('a virtual key\'s `provider/*` allows that provider\'s models and no other', async () => {
  await ask(ALPHA_ONLY, 'alpha/echo');
  await ask(ALPHA_ONLY, 'echo');
  const refused = await refusal(ALPHA_ONLY, 'gamma/gpt-4o-mini');
  assert.equal(refused.status, 403);
  assert.equal(refused.code, 'model_not_allowed');
});

test('a virtual key\'s `prefix*` allows models starting with it at any provider', async () => {
  await ask(GPT_4O_FAMILY, 'gamma/gpt-4o-mini');
  await ask(GPT_4O_FAMILY, 'beta/gpt-4o-mini-2024-07-18');
  const refused = await refusal(GPT_4O_FAMILY, 'alpha/echo');
  assert.equal(refused.status, 403);
  assert.equal(refused.code, 'model_not_allowed');
});

test('a wildcard in a virtual key\'s per-provider `models` narrows that provider', async () => {
  await ask(GAMMA_MINI, 'gamma/gpt-4o-mini');
  const refused = await refusal(GAMMA_MINI, 'gamma/gpt-4o');
  assert.equal(refused.status, 403);
  assert.equal(refused.code, 'provider_not_allowed');
  const elsewhere = await refusal(GAMMA_MINI, 'alpha/echo');
  assert.equal(elsewhere.code, 'provider_not_allowed', 'providers missing from the list stay refused');
});
