import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openaiChatCodec } from '../../src/codecs/openai-chat/index.js';
import { openaiEmbeddingCodec } from '../../src/codecs/openai-embeddings/index.js';
import { parseServerSentEvents } from '../../src/providers/transport/event-stream.js';
import type { StreamPart } from '../../src/spec/index.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { fakeVector, startOpenAIFake } from '../fakes/openai-fake.js';
import { upstreamError } from '../../src/providers/upstream-error.js';

/** The OpenAI fake must itself speak OpenAI: checked against our decoders, which the fixtures pin down. */
describe('OpenAI fake upstream', () => {
  let fake: FakeUpstream;
  before(async () => {
    fake = await startOpenAIFake();
  });
  after(() => fake.close());

  const post = (path: string, body: unknown) => fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('streams tool calls and usage as OpenAI does', async () => {
    fake.enqueue({ text: 'Checking.', toolCalls: [{ id: 'call_1', name: 'a', arguments: '{"x":1}' }, { id: 'call_2', name: 'b', arguments: '{}' }], usage: { input: 9, output: 4, cachedInput: 2 } });
    const response = await post('/v1/chat/completions', { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, max_tokens: 5, messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'hi' }] });
    assert.equal(response.status, 200);
    const decoder = openaiChatCodec.createStreamDecoder();
    const parts: StreamPart[] = [];
    for await (const event of parseServerSentEvents(response.body!)) parts.push(...decoder.decode(event));
    parts.push(...decoder.end());
    assert.equal(parts.filter((part) => part.type === 'text-delta').length > 1, true, 'content in several deltas');
    assert.deepEqual(parts.filter((part) => part.type === 'tool-call-start').map((part) => (part as { id: string }).id), ['call_1', 'call_2']);
    assert.deepEqual(parts.find((part) => part.type === 'finish'), { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } });
    assert.deepEqual(parts.at(-1), { type: 'usage', usage: { inputTokens: 9, outputTokens: 4, cachedInputTokens: 2, reasoningTokens: 0 } });
    const summary = fake.requests.at(-1)!.summary!;
    assert.equal(summary.system, 'S');
    assert.equal(summary.maxOutputTokens, 5);
    assert.equal(summary.stream, true);
  });

  test('errors in OpenAI\'s envelope with retry-after', async () => {
    fake.enqueue({ error: { status: 429, message: 'Slow down.', retryAfterSeconds: 3 } });
    const response = await post('/openai/deployments/prod/chat/completions?api-version=2024-10-21', { messages: [{ role: 'user', content: 'x' }] });
    const error = upstreamError(openaiChatCodec, response.status, await response.text(), Object.fromEntries(response.headers));
    assert.equal(error.code, 'upstream_rate_limited');
    assert.equal(error.message, 'Slow down.');
    assert.equal(error.retryAfterMs, 3000);
  });

  test('deterministic embeddings, float or base64', async () => {
    const float = openaiEmbeddingCodec.decodeResponse(await (await post('/v1/embeddings', { model: 'e', input: ['a', 'b'], dimensions: 4 })).json());
    assert.deepEqual(float.embeddings, [fakeVector('a', 4), fakeVector('b', 4)]);
    const base64 = openaiEmbeddingCodec.decodeResponse(await (await post('/v1/embeddings', { model: 'e', input: 'a', dimensions: 4, encoding_format: 'base64' })).json());
    assert.deepEqual(base64.embeddings, [fakeVector('a', 4)]);
    assert.equal(base64.encodingFormat, 'base64');
  });
});
