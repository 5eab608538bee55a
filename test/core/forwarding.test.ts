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
  // Forwarded, yet read: the usage reaches the access log (the fake reports 12 in, 7 out).
  assert.deepEqual(await usageLogged(response.headers.get('x-request-id')!), { input_tokens: 12, output_tokens: 7 });
});

test('same dialect streams are forwarded, holding back the usage chunk the caller did not ask for', async () => {
  const { data: stream, response } = await client.chat.completions.create({ model: 'openai/gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  let sawFingerprint = false;
  for await (const chunk of stream) {
    if (chunk.system_fingerprint === 'fp_fake0001') sawFingerprint = true;
    assert.equal(chunk.usage ?? null, null);
  }
  assert.ok(sawFingerprint);
  const sent = openaiFake.requests.at(-1)!.body as { stream_options?: { include_usage?: boolean } };
  assert.equal(sent.stream_options?.include_usage, true, 'the gateway always asks for usage upstream');
  assert.deepEqual(await usageLogged(response.headers.get('x-request-id')!), { input_tokens: 12, output_tokens: 7 });
});

/** Tokens of the access log line of a request (logged when it ended; lines are flushed once per event-loop turn). */
async function usageLogged(requestId: string): Promise<{ input_tokens: unknown; output_tokens: unknown } | undefined> {
  await new Promise((resolve) => setImmediate(resolve));
  const line = running.logs.map((text) => JSON.parse(text) as Record<string, unknown>).find((record) => record.msg === 'request' && record.request_id === requestId);
  return line === undefined ? undefined : { input_tokens: line.input_tokens, output_tokens: line.output_tokens };
}

test('other dialects: unsupported fields are dropped with a warning header', async () => {
  const { response } = await client.chat.completions
    .create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], logit_bias: { '1': 1 } } as OpenAI.ChatCompletionCreateParamsNonStreaming)
    .withResponse();
  assert.match(response.headers.get('x-tollgate-warning') ?? '', /logit_bias/);
  assert.equal((anthropicFake.requests.at(-1)!.body as Record<string, unknown>).logit_bias, undefined);
});

test('other dialects: known parameters the provider has no place for are named in the warning too', async () => {
  const { response } = await client.chat.completions
    .create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], seed: 7, presence_penalty: 0.5, response_format: { type: 'json_object' }, logit_bias: { '1': 1 } })
    .withResponse();
  assert.equal(response.headers.get('x-tollgate-warning'), 'dropped fields anthropic does not support: seed, presence_penalty, response_format (json_object), logit_bias');
  const sent = anthropicFake.requests.at(-1)!.body as Record<string, unknown>;
  assert.equal(sent.seed, undefined);
  assert.equal(sent.presence_penalty, undefined);

  // The same parameters to a provider that takes them: no warning, and they are sent.
  const direct = await client.chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }], seed: 7, presence_penalty: 0.5 }).withResponse();
  assert.equal(direct.response.headers.get('x-tollgate-warning'), null);
  const forwarded = openaiFake.requests.at(-1)!.body as Record<string, unknown>;
  assert.equal(forwarded.seed, 7);
  assert.equal(forwarded.presence_penalty, 0.5);
});

for (const [name, model, fake] of [['same dialect', 'openai/gpt-4o', () => openaiFake], ['re-encoded', 'anthropic/claude-sonnet-4-5', () => anthropicFake]] as const) {
  test(`a caller that disconnects mid-stream cancels the upstream request (${name})`, async () => {
    const upstream = fake();
    // The fakes write a few to a few hundred events; spaced out, the stream outlasts the disconnect by seconds even on a loaded machine.
    upstream.enqueue({ text: Array.from({ length: 200 }, (_, index) => `word${index}`).join(' '), eventIntervalMs: 400 });
    const abortedBefore = upstream.aborted;
    const controller = new AbortController();
    const response = await request(`${running.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'long' }] }),
      signal: controller.signal,
    });
    const reader = response.body[Symbol.asyncIterator]();
    await reader.next();
    controller.abort();
    await reader.return?.().catch(() => undefined);
    for (let waited = 0; upstream.aborted === abortedBefore && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(upstream.aborted, abortedBefore + 1);
  });
}

test('every chat parameter reaches an OpenAI upstream as sent, and Anthropic in its own terms', async () => {
  const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
  const params = {
    messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Describe' }, { type: 'image_url' as const, image_url: { url: 'https://example.com/cat.png', detail: 'low' as const } }] }],
    stop: ['END'],
    seed: 7,
    max_completion_tokens: 100,
    temperature: 0.3,
    top_p: 0.9,
    user: 'end-user-1',
    reasoning_effort: 'low' as const,
    response_format: { type: 'json_schema' as const, json_schema: { name: 'answer', schema, strict: true } },
  };
  await client.chat.completions.create({ model: 'openai/gpt-4o', ...params, n: 2 });
  const openai = openaiFake.requests.at(-1)!.body as Record<string, unknown>;
  assert.deepEqual(
    { stop: openai.stop, seed: openai.seed, n: openai.n, max: openai.max_completion_tokens, temperature: openai.temperature, top_p: openai.top_p, user: openai.user, effort: openai.reasoning_effort, format: openai.response_format },
    { stop: ['END'], seed: 7, n: 2, max: 100, temperature: 0.3, top_p: 0.9, user: 'end-user-1', effort: 'low', format: params.response_format },
  );
  assert.deepEqual((openai.messages as { content: unknown }[])[0]!.content, params.messages[0]!.content);

  await client.chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', ...params });
  const anthropic = anthropicFake.requests.at(-1)!.body as Record<string, unknown>;
  assert.deepEqual(anthropic.stop_sequences, ['END']);
  assert.equal(anthropic.temperature, 0.3);
  assert.equal(anthropic.top_p, 0.9);
  assert.deepEqual(anthropic.metadata, { user_id: 'end-user-1' });
  assert.deepEqual(anthropic.thinking, { type: 'enabled', budget_tokens: 2048 });
  assert.ok((anthropic.max_tokens as number) > 2048, 'the thinking budget fits under max_tokens');
  assert.deepEqual(anthropic.output_config, { format: { type: 'json_schema', schema } });
  const content = (anthropic.messages as { content: { type: string; source?: unknown }[] }[])[0]!.content;
  assert.deepEqual(content.find((block) => block.type === 'image')?.source, { type: 'url', url: 'https://example.com/cat.png' });

  // Anthropic answers one choice per request: n > 1 is refused before anything is sent, naming the parameter.
  const sent = anthropicFake.requests.length;
  await assert.rejects(client.chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', ...params, n: 2 }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.code, 'unsupported_parameter');
    assert.equal(error.param, 'n');
    return true;
  });
  assert.equal(anthropicFake.requests.length, sent);
});
