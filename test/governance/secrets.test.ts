import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { chat } from './helpers.js';

/** Virtual keys stop at the gateway; provider keys go only upstream. Neither reaches a caller or a log line. */
const VIRTUAL_KEY = 'vk-test-never-upstream-0123';
// Split so that secret scanners do not take this made-up key for a real one.
const OPENAI_KEY = 'sk-proj-' + 'testprovidersecret42';
const ANTHROPIC_KEY = 'sk-ant-api03-testprovidersecret42';

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let running: RunningGateway;
const seen: string[] = [];

before(async () => {
  [openai, anthropic] = await Promise.all([startOpenAIFake(), startAnthropicFake()]);
  running = await startGateway({
    providers: {
      openai: { type: 'openai', base_url: `${openai.url}/v1`, keys: [{ value: OPENAI_KEY }], models: ['gpt-4o'], max_retries: 0 },
      anthropic: { type: 'anthropic', base_url: anthropic.url, keys: [{ value: ANTHROPIC_KEY }], models: ['claude-sonnet-4-5'], max_retries: 0 },
    },
    virtual_keys: [{ id: 'app', value: VIRTUAL_KEY, models: ['*'] }],
  });
});

after(async () => {
  await running.close();
  await Promise.all([openai.close(), anthropic.close()]);
});

test('the virtual key never goes upstream, whichever header carried it; the provider key does', async () => {
  const headers: Record<string, string>[] = [{ authorization: `Bearer ${VIRTUAL_KEY}` }, { 'x-api-key': VIRTUAL_KEY }, { 'x-goog-api-key': VIRTUAL_KEY }, { 'x-tollgate-key': VIRTUAL_KEY }];
  for (const header of headers) {
    for (const model of ['openai/gpt-4o', 'anthropic/claude-sonnet-4-5']) {
      const result = await chat(running.url, header, { model, max_tokens: 8 });
      seen.push(result.text);
      assert.equal(result.status, 200, result.text);
    }
  }
  const upstream = JSON.stringify([...openai.requests, ...anthropic.requests].map((recorded) => ({ headers: recorded.headers, body: recorded.body, path: recorded.path })));
  assert.doesNotMatch(upstream, new RegExp(VIRTUAL_KEY));
  assert.ok(openai.requests.every((recorded) => recorded.headers.authorization === `Bearer ${OPENAI_KEY}`));
  assert.ok(anthropic.requests.every((recorded) => recorded.headers['x-api-key'] === ANTHROPIC_KEY));
});

test('a provider echoing its key in an error does not pass it on to the caller', async () => {
  openai.enqueue({ error: { status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}. You can find your API key at https://platform.openai.com.`, type: 'invalid_request_error' } });
  const refused = await chat(running.url, { authorization: `Bearer ${VIRTUAL_KEY}` }, { model: 'openai/gpt-4o', max_tokens: 8 });
  seen.push(refused.text);
  assert.ok(refused.status >= 400);
  assert.doesNotMatch(refused.text, new RegExp(OPENAI_KEY));
});

test('no virtual key or provider key in any answer or log line', () => {
  const everything = [...seen, ...running.logs].join('\n');
  for (const secret of [VIRTUAL_KEY, OPENAI_KEY, ANTHROPIC_KEY]) assert.doesNotMatch(everything, new RegExp(secret));
  assert.ok(running.logs.length > 0, 'the gateway logged something to check');
});
