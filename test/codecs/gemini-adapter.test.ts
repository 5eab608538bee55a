import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { geminiCodec, geminiEmbeddingCodec } from '../../src/codecs/gemini/index.js';
import { geminiAdapter, type GeminiOptions } from '../../src/providers/gemini/index.js';
import type { ProviderKey, ProviderSettings, UpstreamHttpRequest } from '../../src/providers/provider.js';
import type { ChatRequest, StreamPart } from '../../src/spec/index.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import { decodeStream } from '../fixtures/gemini/read-fixture.js';
import { upstreamError } from '../../src/providers/upstream-error.js';

const key: ProviderKey = { id: 'gemini-0', value: 'test-key-gemini', weight: 1, models: undefined };

describe('gemini adapter against the Gemini fake', () => {
  let fake: FakeUpstream;
  let settings: ProviderSettings<GeminiOptions>;

  before(async () => {
    fake = await startGeminiFake();
    settings = { name: 'google', type: 'gemini', baseUrl: `${fake.url}/v1beta`, headers: { 'x-extra': 'yes' }, options: geminiAdapter.optionsSchema.parse({}) };
  });
  after(() => fake.close());

  async function send(request: UpstreamHttpRequest): Promise<{ status: number; text: string }> {
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
    return { status: response.status, text: await response.text() };
  }

  const last = () => fake.requests[fake.requests.length - 1]!;

  function chat(overrides: Partial<ChatRequest> = {}): ChatRequest {
    return { model: 'google/gemini-2.5-flash', stream: false, messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }], ...overrides };
  }

  test('generateContent: model in the URL, key only in x-goog-api-key, configured headers kept', async () => {
    const request = geminiAdapter.buildChatRequest(chat({ maxOutputTokens: 20 }), 'gemini-2.5-flash', key, settings);
    assert.equal(request.url, `${fake.url}/v1beta/models/gemini-2.5-flash:generateContent`);
    assert.ok(!request.url.includes('test-key-gemini'));
    assert.equal(request.headers['x-goog-api-key'], 'test-key-gemini');
    assert.equal(request.headers['x-extra'], 'yes');
    fake.enqueue({ text: 'Hello there.', reasoning: 'Greet back.', usage: { input: 11, output: 9, reasoning: 4, cachedInput: 3 } });
    const { status, text } = await send(request);
    assert.equal(status, 200);
    const response = geminiCodec.decodeResponse(JSON.parse(text));
    assert.deepEqual(response.choices[0]!.content, [
      { type: 'reasoning', text: 'Greet back.' },
      { type: 'text', text: 'Hello there.' },
    ]);
    assert.deepEqual(response.usage, { inputTokens: 11, outputTokens: 9, cachedInputTokens: 3, reasoningTokens: 4 });
    const summary = last().summary!;
    assert.equal(summary.model, 'gemini-2.5-flash');
    assert.equal(summary.stream, false);
    assert.equal(summary.maxOutputTokens, 20);
    assert.equal(summary.messages[0]!.text, 'Say hello');
  });

  test('streamGenerateContent?alt=sse: several chunks, whole function calls, the final cumulative usage', async () => {
    const request = geminiAdapter.buildChatRequest(chat({ stream: true }), 'gemini-2.5-flash', key, settings);
    assert.equal(request.url, `${fake.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`);
    assert.equal(request.framing, 'sse');
    fake.enqueue({
      text: 'Checking both.',
      reasoning: 'Two cities.',
      toolCalls: [
        { id: 'x', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'y', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
      ],
      finish: 'tool-calls',
      usage: { input: 20, output: 18, reasoning: 6 },
    });
    const { text } = await send(request);
    const parts = await decodeStream(text);
    const only = <T extends StreamPart['type']>(type: T) => parts.filter((part): part is Extract<StreamPart, { type: T }> => part.type === type);
    assert.ok(only('text-delta').length > 1, 'text came in several chunks');
    assert.equal(only('text-delta').map((part) => part.text).join(''), 'Checking both.');
    assert.equal(only('reasoning-delta').map((part) => part.text).join(''), 'Two cities.');
    assert.deepEqual(
      only('tool-call-delta').map((part) => [part.index, JSON.parse(part.argumentsDelta).city]),
      [
        [0, 'Paris'],
        [1, 'Tokyo'],
      ],
    );
    assert.equal(only('finish')[0]!.finishReason.unified, 'tool-calls');
    assert.deepEqual(only('usage').at(-1)!.usage, { inputTokens: 20, outputTokens: 18, cachedInputTokens: 0, reasoningTokens: 6 });
    assert.equal(only('error').length, 0);
    assert.equal(last().summary!.stream, true);
  });

  test('a tool round trip reaches the provider with names, args objects and the call id', async () => {
    const request = geminiAdapter.buildChatRequest(
      chat({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
          { role: 'assistant', content: [], toolCalls: [{ id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
          { role: 'tool', toolCallId: 'call_0', content: [{ type: 'text', text: '{"sky":"sunny"}' }] },
        ],
        tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      }),
      'gemini-2.5-flash',
      key,
      settings,
    );
    await send(request);
    const summary = last().summary!;
    assert.equal(summary.system, 'Be terse.');
    assert.deepEqual(summary.tools, ['get_weather']);
    assert.deepEqual(summary.messages.map((message) => message.role), ['user', 'assistant', 'tool']);
    assert.deepEqual(summary.messages[1]!.toolCalls, [{ id: 'call_0', name: 'get_weather', arguments: { city: 'Paris' } }]);
    assert.equal(summary.messages[2]!.toolCallId, 'call_0');
    assert.match(summary.messages[2]!.text, /sunny/);
  });

  test('errors come back in Google’s envelope and map to gateway codes', async () => {
    const request = geminiAdapter.buildChatRequest(chat(), 'gemini-2.5-flash', key, settings);
    fake.enqueue({ error: { status: 429, message: 'Slow down.', retryAfterSeconds: 7 } });
    const limited = await send(request);
    const rateLimited = upstreamError(geminiCodec, limited.status, limited.text, {});
    assert.deepEqual([rateLimited.code, rateLimited.retryAfterMs], ['upstream_rate_limited', 7000]);

    const keyless = geminiAdapter.buildChatRequest(chat(), 'gemini-2.5-flash', undefined, settings);
    assert.equal(keyless.headers['x-goog-api-key'], undefined);
    const denied = await send(keyless);
    assert.equal(denied.status, 403);
    assert.equal(JSON.parse(denied.text).error.status, 'PERMISSION_DENIED');
    assert.equal(upstreamError(geminiCodec, denied.status, denied.text, {}).code, 'upstream_auth_failed');
  });

  test('embeddings: spec request → batchEmbedContents → vectors', async () => {
    const request = geminiAdapter.buildEmbeddingRequest!({ model: 'google/text-embedding-004', input: ['alpha', 'beta'], dimensions: 4 }, 'text-embedding-004', key, settings);
    assert.equal(request.url, `${fake.url}/v1beta/models/text-embedding-004:batchEmbedContents`);
    assert.equal(request.headers['x-goog-api-key'], 'test-key-gemini');
    assert.deepEqual(JSON.parse(request.body!), {
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'alpha' }] }, outputDimensionality: 4 },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'beta' }] }, outputDimensionality: 4 },
      ],
    });
    const { status, text } = await send(request);
    assert.equal(status, 200);
    const response = geminiEmbeddingCodec.decodeResponse(JSON.parse(text));
    assert.equal(response.embeddings.length, 2);
    assert.equal(response.embeddings[0]!.length, 4);
    assert.notDeepEqual(response.embeddings[0], response.embeddings[1]);
    assert.deepEqual(response.usage, { inputTokens: undefined, outputTokens: undefined });
  });

  test('the embeddings codec reads its own requests back (inbound surface)', () => {
    const wire = geminiEmbeddingCodec.encodeRequest({ model: 'text-embedding-004', input: ['one', 'two'], dimensions: 3 }, 'text-embedding-004');
    const decoded = geminiEmbeddingCodec.decodeRequest(wire);
    assert.deepEqual(decoded, { model: 'text-embedding-004', input: ['one', 'two'], dimensions: 3 });
    assert.throws(() => geminiEmbeddingCodec.encodeRequest({ model: 'm', input: [[1, 2]] }, 'm'), /text only/);
  });
});
