import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { request } from 'undici';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

let openaiFake: FakeUpstream;
let anthropicFake: FakeUpstream;
let running: RunningGateway;
let client: OpenAI;

before(async () => {
  openaiFake = await startOpenAIFake();
  anthropicFake = await startAnthropicFake();
  running = await startGateway({
    providers: {
      openai: { type: 'openai', base_url: `${openaiFake.url}/v1`, keys: [{ value: 'test-key-openai' }], models: ['gpt-4o'], max_retries: 0 },
      anthropic: { type: 'anthropic', base_url: anthropicFake.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 },
    },
  });
  client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await running.close();
  await openaiFake.close();
  await anthropicFake.close();
});

test('same dialect: the upstream body is forwarded as is, unknown request fields pass through', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }], logit_bias: { '50256': -100 }, store: false } as OpenAI.ChatCompletionCreateParamsNonStreaming)
    .withResponse();
  const sent = openaiFake.requests.at(-1)!.body as Record<string, unknown>;
  assert.deepEqual(sent.logit_bias, { '50256': -100 });
  assert.equal(sent.store, false);
  assert.equal(sent.model, 'gpt-4o');
  // Fields the gateway does not model survive because the bytes are forwarded.
  assert.equal((data as unknown as { service_tier?: string }).service_tier, 'default');
  assert.equal(data.system_fingerprint, 'fp_fake0001');
  assert.equal(response.headers.get('x-tollgate-warning'), null);
});

test('same dialect streams are forwarded, holding back the usage chunk the caller did not ask for', async () => {
  const stream = await client.chat.completions.create({ model: 'openai/gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  let sawFingerprint = false;
  for await (const chunk of stream) {
    if (chunk.system_fingerprint === 'fp_fake0001') sawFingerprint = true;
    assert.equal(chunk.usage ?? null, null);
  }
  assert.ok(sawFingerprint);
  const sent = openaiFake.requests.at(-1)!.body as { stream_options?: { include_usage?: boolean } };
  assert.equal(sent.stream_options?.include_usage, true, 'the gateway always asks for usage upstream');
});

test('other dialects: unsupported fields are dropped with a warning header', async () => {
  const { response } = await client.chat.completions
    .create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], logit_bias: { '1': 1 } } as OpenAI.ChatCompletionCreateParamsNonStreaming)
    .withResponse();
  assert.match(response.headers.get('x-tollgate-warning') ?? '', /logit_bias/);
  assert.equal((anthropicFake.requests.at(-1)!.body as Record<string, unknown>).logit_bias, undefined);
});

test('a caller that disconnects mid-stream cancels the upstream request', async () => {
  // The fake writes about seven events; spaced out, the stream outlasts the disconnect by seconds even on a loaded machine.
  openaiFake.enqueue({ text: Array.from({ length: 200 }, (_, index) => `word${index}`).join(' '), eventIntervalMs: 400 });
  const abortedBefore = openaiFake.aborted;
  const controller = new AbortController();
  const response = await request(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'openai/gpt-4o', stream: true, messages: [{ role: 'user', content: 'long' }] }),
    signal: controller.signal,
  });
  const reader = response.body[Symbol.asyncIterator]();
  await reader.next();
  controller.abort();
  await reader.return?.().catch(() => undefined);
  for (let waited = 0; openaiFake.aborted === abortedBefore && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal(openaiFake.aborted, abortedBefore + 1);
});
