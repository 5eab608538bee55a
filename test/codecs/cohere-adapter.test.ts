import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { cohereChatCodec } from '../../src/codecs/cohere-chat/index.js';
import { providerSchema } from '../../src/config/provider-schema.js';
import { attemptRerank } from '../../src/pipeline/rerank-attempt.js';
import { targetOf } from '../../src/pipeline/target.js';
import { buildProviderInstances } from '../../src/providers/build-instances.js';
import { createAdapterRegistry } from '../../src/providers/registry.js';
import { HttpTransport } from '../../src/providers/transport/http-transport.js';
import type { StreamPart } from '../../src/spec/index.js';
import { startCohereFake } from '../fakes/cohere-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const KEY = `co-${'test'}-0123456789abcdef`;

describe('cohere provider: embed and rerank against the Cohere fake', () => {
  let fake: FakeUpstream;
  let running: RunningGateway;

  before(async () => {
    fake = await startCohereFake();
    running = await startGateway({ providers: { cohere: { type: 'cohere', base_url: fake.url, options: { input_type: 'search_query' }, keys: [{ value: KEY }], max_retries: 0 } } });
  });
  after(async () => {
    await running.close();
    await fake.close();
  });

  const last = () => fake.requests.at(-1)!;

  test('embeddings through /v2/embed: float vectors, the configured input_type, billed input tokens as usage', async () => {
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const result = await client.embeddings.create({ model: 'cohere/embed-v4.0', input: ['first text here', 'second'], dimensions: 6 });
    assert.equal(result.data.length, 2);
    assert.equal(result.data[1]!.embedding.length, 6);
    assert.equal(result.usage.prompt_tokens, 4);
    assert.equal(last().path, '/v2/embed');
    assert.equal(last().headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual(last().body, { model: 'embed-v4.0', texts: ['first text here', 'second'], input_type: 'search_query', embedding_types: ['float'], output_dimension: 6 });
  });

  test('rerank through /v2/rerank: results most relevant first, top_n, documents filled in from the request', async () => {
    const issues: never[] = [];
    const instances = buildProviderInstances({ cohere: providerSchema.parse({ type: 'cohere', base_url: fake.url, keys: [{ value: KEY }] }) }, createAdapterRegistry(), issues);
    assert.deepEqual(issues, []);
    const transport = new HttpTransport();
    try {
      const documents = ['Berlin is the capital of Germany.', 'Paris is the capital of France.', 'Bananas are yellow.'];
      const { response, keyId } = await attemptRerank(targetOf(instances.get('cohere')!, 'rerank-v3.5'), { model: 'cohere/rerank-v3.5', query: 'capital of France', documents, topN: 2, returnDocuments: true }, transport, AbortSignal.timeout(10_000));
      assert.equal(keyId, 'cohere-0');
      assert.deepEqual(last().body, { model: 'rerank-v3.5', query: 'capital of France', documents, top_n: 2 });
      assert.equal(response.model, 'rerank-v3.5');
      assert.deepEqual(response.results.map((result) => [result.index, result.document]), [[1, documents[1]], [0, documents[0]]]);
      assert.ok(response.results[0]!.relevanceScore > response.results[1]!.relevanceScore);
      assert.equal(response.searchUnits, 1);

      fake.enqueue({ error: { status: 429, message: 'You are using a Trial key, which is limited to 10 API calls / minute.', retryAfterSeconds: 3 } });
      await assert.rejects(attemptRerank(targetOf(instances.get('cohere')!, 'rerank-v3.5'), { model: 'rerank-v3.5', query: 'q', documents: ['d'] }, transport, AbortSignal.timeout(10_000)), (error: Error & { code?: string; retryAfterMs?: number }) => {
        assert.equal(error.code, 'upstream_rate_limited');
        assert.equal(error.retryAfterMs, 3000);
        assert.match(error.message, /^Cohere.*Trial key/);
        return true;
      });
    } finally {
      await transport.close();
    }
  });

  test('a provider without rerank says so', async () => {
    const instances = buildProviderInstances({ g: providerSchema.parse({ type: 'gemini', keys: [{ value: 'k' }] }) }, createAdapterRegistry(), []);
    await assert.rejects(attemptRerank(targetOf(instances.get('g')!, 'gemini-2.5-flash'), { model: 'g/gemini-2.5-flash', query: 'q', documents: ['d'] }, new HttpTransport(), AbortSignal.timeout(1000)), /does not serve rerank/);
  });
});

describe('cohere chat codec', () => {
  const decode = (events: Record<string, unknown>[]): StreamPart[] => {
    const decoder = cohereChatCodec.createStreamDecoder();
    return [...events.flatMap((event) => decoder.decode({ event: String(event.type), data: JSON.stringify(event) })), ...decoder.end()];
  };

  test('stream: thinking and text blocks, tool plan as text, tool calls by index, finish and usage with cached tokens', () => {
    const parts = decode([
      { id: 'm1', type: 'message-start', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } },
      { type: 'content-start', index: 0, delta: { message: { content: { type: 'thinking', thinking: '' } } } },
      { type: 'content-delta', index: 0, delta: { message: { content: { thinking: 'Let me think.' } } } },
      { type: 'content-end', index: 0 },
      { type: 'tool-plan-delta', delta: { message: { tool_plan: 'I will look it up.' } } },
      { type: 'tool-call-start', index: 0, delta: { message: { tool_calls: { id: 'lookup_1', type: 'function', function: { name: 'lookup', arguments: '' } } } } },
      { type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: '{"q":' } } } } },
      { type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: '"x"}' } } } } },
      { type: 'tool-call-end', index: 0 },
      { type: 'message-end', delta: { finish_reason: 'TOOL_CALL', usage: { billed_units: { input_tokens: 5, output_tokens: 2 }, tokens: { input_tokens: 500, output_tokens: 5 }, cached_tokens: 448 } } },
    ]);
    assert.deepEqual(parts.slice(1), [
      { type: 'reasoning-delta', choice: 0, text: 'Let me think.' },
      { type: 'text-delta', choice: 0, text: 'I will look it up.' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'lookup_1', name: 'lookup' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"q":' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"x"}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'TOOL_CALL' } },
      { type: 'usage', usage: { inputTokens: 500, outputTokens: 5, cachedInputTokens: 448 } },
    ]);
    assert.equal(parts[0]!.type === 'start' && parts[0].id, 'm1');
  });

  test('a stream cut before message-end, or ending with an error, is an error', () => {
    const cut = decode([{ type: 'message-start', id: 'm', delta: { message: {} } }, { type: 'content-delta', index: 0, delta: { message: { content: { text: 'Hel' } } } }]);
    assert.equal(cut.at(-1)!.type, 'error');
    const failed = decode([{ type: 'message-start', id: 'm', delta: { message: {} } }, { type: 'message-end', delta: { finish_reason: 'ERROR', error: 'model overloaded' } }]);
    const error = failed.at(-1)!;
    assert.ok(error.type === 'error' && /model overloaded/.test(error.error.message));
    assert.equal(decode([{ type: 'message-start' }]).length, 2);
  });

  test('request: Cohere names (p, k, stop_sequences), tool_choice REQUIRED, the assistant text before tool calls as tool_plan', () => {
    const body = cohereChatCodec.encodeRequest(
      {
        model: 'cohere/command-a',
        stream: false,
        topP: 0.9,
        topK: 40,
        stop: ['END'],
        toolChoice: { type: 'required' },
        tools: [{ name: 'lookup', parameters: { type: 'object' } }],
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Find x' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Looking.' }], toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"x"}' }] },
          { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'found' }] },
        ],
      },
      'command-a-03-2025',
    );
    assert.deepEqual(body, {
      model: 'command-a-03-2025',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Find x' },
        { role: 'assistant', tool_plan: 'Looking.', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'found' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      tool_choice: 'REQUIRED',
      p: 0.9,
      k: 40,
      stop_sequences: ['END'],
    });
  });

  test('hostile answers are upstream_invalid_response, never a crash', () => {
    for (const body of [null, [], 'text', { message: 'no' }, { message: { tool_calls: [{ function: {} }] } }]) {
      assert.throws(() => cohereChatCodec.decodeResponse(body), (error: Error & { code?: string }) => error.code === 'upstream_invalid_response');
    }
    const decoder = cohereChatCodec.createStreamDecoder();
    assert.equal(decoder.decode({ data: '{not json' })[0]!.type, 'error');
    assert.equal(decoder.decode({ data: '[1,2]' })[0]!.type, 'error');
  });
});
