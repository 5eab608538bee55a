import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { anthropicAdapter } from '../../src/providers/anthropic/index.js';
import type { NoOptions } from '../../src/providers/no-options.js';
import type { ProviderKey, ProviderSettings, UpstreamHttpResponse } from '../../src/providers/provider.js';
import { parseServerSentEvents } from '../../src/providers/transport/event-stream.js';
import { HttpTransport } from '../../src/providers/transport/http-transport.js';
import { readBody } from '../../src/providers/transport/read-body.js';
import { GatewayError, type ChatRequest, type StreamPart } from '../../src/spec/index.js';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { upstreamError } from '../../src/providers/upstream-error.js';

const key: ProviderKey = { id: 'anthropic-0', value: 'test-key-anthropic', weight: 1, models: undefined };
const codec = anthropicAdapter.chatCodec;

function settingsFor(baseUrl: string, headers: Record<string, string> = {}): ProviderSettings<NoOptions> {
  return { name: 'claude', type: 'anthropic', baseUrl, headers, options: {} };
}

function chat(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'claude/claude-sonnet-4-5',
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Hello?' }] },
    ],
    stream: false,
    ...overrides,
  };
}

describe('anthropic adapter', () => {
  test('builds POST /v1/messages with x-api-key, anthropic-version and configured headers', () => {
    const built = anthropicAdapter.buildChatRequest(chat(), 'claude-sonnet-4-5', key, settingsFor('https://api.anthropic.com', { 'anthropic-beta': 'interleaved-thinking-2025-05-14' }));
    assert.equal(built.url, 'https://api.anthropic.com/v1/messages');
    assert.equal(built.method, 'POST');
    assert.equal(built.framing, 'sse');
    assert.deepEqual(built.headers, {
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'interleaved-thinking-2025-05-14',
      'x-api-key': 'test-key-anthropic',
    });
    const body = JSON.parse(built.body!) as Record<string, unknown>;
    assert.equal(body.model, 'claude-sonnet-4-5');
    assert.equal(body.system, 'Be brief.');
    assert.equal(anthropicAdapter.defaultBaseUrl, 'https://api.anthropic.com');
    assert.equal(anthropicAdapter.requiresKey, true);
    assert.equal(anthropicAdapter.embeddingCodec, undefined);
  });

  test('a base URL that already ends in /v1 is not doubled', () => {
    assert.equal(anthropicAdapter.buildChatRequest(chat(), 'm', key, settingsFor('https://proxy.example/anthropic/v1')).url, 'https://proxy.example/anthropic/v1/messages');
  });
});

describe('anthropic adapter against the Anthropic fake', () => {
  let fake: FakeUpstream;
  const transport = new HttpTransport();
  const signal = new AbortController().signal;

  before(async () => {
    fake = await startAnthropicFake();
  });
  after(async () => {
    await fake.close();
  });

  async function send(request: ChatRequest, options: { keyless?: boolean } = {}): Promise<UpstreamHttpResponse> {
    return transport.send(anthropicAdapter.buildChatRequest(request, 'claude-sonnet-4-5', options.keyless ? undefined : key, settingsFor(fake.url)), 10_000, signal);
  }

  async function streamParts(response: UpstreamHttpResponse): Promise<StreamPart[]> {
    const decoder = codec.createStreamDecoder();
    const parts: StreamPart[] = [];
    try {
      for await (const event of parseServerSentEvents(response.body)) parts.push(...decoder.decode(event));
    } catch {
      // A socket the fake destroyed: the decoder's end() reports the missing message_stop.
    }
    return [...parts, ...decoder.end()];
  }

  test('non-streamed reply: thinking, text, tool calls and cache-aware usage', async () => {
    fake.enqueue({
      reasoning: 'Think first.',
      text: 'Calling the tool.',
      toolCalls: [{ id: 'toolu_9', name: 'lookup', arguments: '{"q":"x"}' }],
      finish: 'tool-calls',
      usage: { input: 1500, output: 20, cachedInput: 1200, cacheWrite: 100 },
    });
    const response = await send(chat({ tools: [{ name: 'lookup', parameters: { type: 'object' } }], temperature: 0.5 }));
    assert.equal(response.status, 200);
    const decoded = codec.decodeResponse(JSON.parse(await readBody(response.body)));
    const choice = decoded.choices[0]!;
    assert.equal(choice.content[0]?.type, 'reasoning');
    assert.ok(choice.content[0]?.type === 'reasoning' && choice.content[0].signature !== undefined);
    assert.deepEqual(choice.content[1], { type: 'text', text: 'Calling the tool.' });
    assert.deepEqual(choice.toolCalls, [{ id: 'toolu_9', name: 'lookup', arguments: '{"q":"x"}' }]);
    assert.equal(choice.finishReason.unified, 'tool-calls');
    assert.deepEqual(decoded.usage, { inputTokens: 1500, outputTokens: 20, cachedInputTokens: 1200, cacheWriteTokens: 100 });

    const seen = fake.requests.at(-1)!;
    assert.equal(seen.headers['x-api-key'], 'test-key-anthropic');
    assert.equal(seen.headers['anthropic-version'], '2023-06-01');
    assert.equal(seen.summary?.system, 'Be brief.');
    assert.deepEqual(seen.summary?.tools, ['lookup']);
    assert.equal(seen.summary?.temperature, 0.5);
    assert.equal(seen.summary?.maxOutputTokens, 4096);
  });

  test('streamed reply with ping events: reasoning with signature, text and tool call pieces', async () => {
    fake.enqueue({
      reasoning: 'Let me think about this.',
      text: 'Here comes a tool call.',
      toolCalls: [{ id: 'toolu_1', name: 'lookup', arguments: '{"query":"anthropic streaming"}' }],
      finish: 'tool-calls',
      usage: { input: 900, output: 33, cachedInput: 800 },
    });
    const response = await send(chat({ stream: true }));
    const parts = await streamParts(response);
    assert.equal(fake.requests.at(-1)!.summary?.stream, true);
    const join = (type: 'reasoning-delta' | 'text-delta') => parts.map((part) => (part.type === type ? part.text : '')).join('');
    assert.equal(join('reasoning-delta'), 'Let me think about this.');
    assert.equal(join('text-delta'), 'Here comes a tool call.');
    assert.ok(parts.some((part) => part.type === 'reasoning-delta' && part.signature !== undefined));
    const toolDeltas = parts.filter((part) => part.type === 'tool-call-delta');
    assert.ok(toolDeltas.length > 1, 'arguments arrive in several pieces');
    assert.equal(toolDeltas.map((part) => part.argumentsDelta).join(''), '{"query":"anthropic streaming"}');
    assert.deepEqual(parts.find((part) => part.type === 'finish'), { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_use' } });
    const usage = parts.filter((part) => part.type === 'usage').at(-1);
    assert.ok(usage?.type === 'usage');
    assert.equal(usage.usage.inputTokens, 900);
    assert.equal(usage.usage.cachedInputTokens, 800);
    assert.equal(usage.usage.outputTokens, 33);
    assert.equal(parts.some((part) => part.type === 'error'), false);
  });

  test('a stream broken before message_stop ends with an error part', async () => {
    // The interval lets the first events leave the socket before the fake destroys it.
    fake.enqueue({ text: 'one two three four five six', breakAfterEvents: 5, eventIntervalMs: 10 });
    const parts = await streamParts(await send(chat({ stream: true })));
    const last = parts.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'upstream_stream_error');
  });

  test('without a key the fake answers 401 in Anthropic envelope, decoded as upstream_auth_failed', async () => {
    const response = await send(chat(), { keyless: true });
    assert.equal(response.status, 401);
    const error = upstreamError(codec, response.status, await readBody(response.body), response.headers);
    assert.ok(GatewayError.is(error));
    assert.equal(error.code, 'upstream_auth_failed');
    assert.match(error.message, /authentication_error: x-api-key header is required/);
  });

  test('upstream errors: 529 overloaded is retryable, 429 honours retry-after', async () => {
    fake.enqueue({ error: { status: 529, message: 'Overloaded' } }, { error: { status: 429, message: 'Slow down.', retryAfterSeconds: 3 } });
    const overloadedResponse = await send(chat());
    const overloaded = upstreamError(codec, overloadedResponse.status, await readBody(overloadedResponse.body), overloadedResponse.headers);
    assert.equal(overloaded.code, 'upstream_error');
    assert.equal(overloaded.status, 529);
    assert.equal(overloaded.retryable, true);
    assert.match(overloaded.message, /overloaded_error: Overloaded/);
    const limitedResponse = await send(chat());
    const limited = upstreamError(codec, limitedResponse.status, await readBody(limitedResponse.body), limitedResponse.headers);
    assert.equal(limited.code, 'upstream_rate_limited');
    assert.equal(limited.retryAfterMs, 3000);
  });
});
