import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { WireEvent } from '../../src/codecs/codec.js';
import { openaiChatCodec } from '../../src/codecs/openai-chat/index.js';
import { parseServerSentEvents } from '../../src/providers/transport/event-stream.js';
import { GatewayError, type StreamPart } from '../../src/spec/index.js';

/** Fixtures stay in the source tree; compiled tests run from dist/test/codecs. */
function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../../../test/fixtures/openai/${name}`, import.meta.url)), 'utf8');
}

async function eventsOf(text: string): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  // Feed in uneven pieces, as sockets deliver them.
  async function* pieces() {
    for (let start = 0; start < text.length; start += 37) yield Buffer.from(text.slice(start, start + 37));
  }
  for await (const event of parseServerSentEvents(pieces())) events.push(event);
  return events;
}

async function decodeFixture(name: string): Promise<StreamPart[]> {
  const decoder = openaiChatCodec.createStreamDecoder();
  const parts: StreamPart[] = [];
  for (const event of await eventsOf(fixture(name))) parts.push(...decoder.decode(event));
  parts.push(...decoder.end());
  return parts;
}

function textOf(parts: StreamPart[], type: 'text-delta' | 'reasoning-delta' = 'text-delta'): string {
  return parts.map((part) => (part.type === type ? part.text : '')).join('');
}

describe('openai-chat stream decoder', () => {
  test('text with cached-token usage in the final empty-choices chunk', async () => {
    const parts = await decodeFixture('text-cached-usage.txt');
    assert.deepEqual(parts[0], { type: 'start', id: 'chatcmpl-BnQ4kZ7rTq2Wv8xYhLpD3sNfGa1', model: 'gpt-4o-2024-08-06', created: 1751022712 });
    assert.equal(textOf(parts), 'The capital of France is Paris.');
    const finish = parts.find((part) => part.type === 'finish');
    assert.deepEqual(finish, { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } });
    const usage = parts.filter((part) => part.type === 'usage');
    assert.equal(usage.length, 1);
    assert.deepEqual(usage[0], { type: 'usage', usage: { inputTokens: 1864, outputTokens: 7, cachedInputTokens: 1792, reasoningTokens: 0 } });
    assert.equal(parts.at(-1)!.type, 'usage', 'usage comes last; nothing after [DONE]');
    assert.ok(!parts.some((part) => part.type === 'error'));
  });

  test('parallel tool calls keep their index', async () => {
    const parts = await decodeFixture('parallel-tool-calls.txt');
    const starts = parts.filter((part) => part.type === 'tool-call-start');
    assert.deepEqual(starts, [
      { type: 'tool-call-start', choice: 0, index: 0, id: 'call_Xk3pQ8rN2vYtL5mW9sJd4hBf', name: 'get_weather' },
      { type: 'tool-call-start', choice: 0, index: 1, id: 'call_Hq7tZ2wK9cVb4nM6xPr8sLgA', name: 'get_weather' },
    ]);
    const argumentsOf = (index: number) => parts.map((part) => (part.type === 'tool-call-delta' && part.index === index ? part.argumentsDelta : '')).join('');
    assert.deepEqual(JSON.parse(argumentsOf(0)), { city: 'Paris' });
    assert.deepEqual(JSON.parse(argumentsOf(1)), { city: 'Tokyo' });
    assert.equal(textOf(parts), '');
    assert.deepEqual(parts.find((part) => part.type === 'finish'), { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } });
  });

  test('an error payload mid-stream becomes an error part and ends decoding', async () => {
    const parts = await decodeFixture('mid-stream-error.txt');
    assert.equal(textOf(parts), 'Once upon a');
    const errors = parts.filter((part) => part.type === 'error');
    assert.equal(errors.length, 1, 'exactly one error, end() adds none');
    const error = (errors[0] as { error: GatewayError }).error;
    assert.equal(error.code, 'upstream_stream_error');
    assert.match(error.message, /The server had an error/);
    assert.equal(error.retryable, true);
  });

  test('a truncated stream ends with upstream_stream_error', async () => {
    const parts = await decodeFixture('truncated.txt');
    assert.equal(textOf(parts), 'Here is a long');
    const last = parts.at(-1)!;
    assert.ok(last.type === 'error');
    assert.equal(last.error.code, 'upstream_stream_error');
  });

  test('[DONE] without a finish reason is reported too', () => {
    const decoder = openaiChatCodec.createStreamDecoder();
    decoder.decode({ data: JSON.stringify({ id: 'x', model: 'm', created: 1, choices: [{ index: 0, delta: { content: 'hi' } }] }) });
    assert.deepEqual(decoder.decode({ data: '[DONE]' }), []);
    const end = decoder.end();
    assert.equal(end.length, 1);
    assert.ok(end[0]!.type === 'error' && end[0]!.error.code === 'upstream_stream_error');
  });

  test('DeepSeek reasoning_content and usage on the finish chunk', async () => {
    const parts = await decodeFixture('deepseek-reasoning.txt');
    assert.equal(textOf(parts, 'reasoning-delta'), 'Let me add 2 and 2.');
    assert.equal(textOf(parts), '2 + 2 = 4.');
    const finishAt = parts.findIndex((part) => part.type === 'finish');
    const usageAt = parts.findIndex((part) => part.type === 'usage');
    assert.ok(finishAt >= 0 && usageAt > finishAt, 'finish, then usage');
    assert.deepEqual((parts[usageAt] as { usage: unknown }).usage, { inputTokens: 18, outputTokens: 52, cachedInputTokens: 0, reasoningTokens: 41 });
    assert.ok(!parts.some((part) => part.type === 'error'));
  });

  test('Groq usage under x_groq and OpenRouter `reasoning` are read', () => {
    const decoder = openaiChatCodec.createStreamDecoder();
    const parts = [
      ...decoder.decode({ data: JSON.stringify({ id: 'x', model: 'm', created: 1, choices: [{ index: 0, delta: { reasoning: 'hmm' } }] }) }),
      ...decoder.decode({ data: JSON.stringify({ id: 'x', model: 'm', created: 1, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], x_groq: { usage: { prompt_tokens: 3, completion_tokens: 4 } } }) }),
    ];
    assert.equal(textOf(parts, 'reasoning-delta'), 'hmm');
    assert.deepEqual(parts.find((part) => part.type === 'usage'), { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } });
  });

  test('a whole tool call per chunk under the same index (Gemini-style) makes separate calls', () => {
    const decoder = openaiChatCodec.createStreamDecoder();
    const chunk = (id: string, city: string) => ({ data: JSON.stringify({ id: 'x', model: 'm', created: 1, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id, type: 'function', function: { name: 'w', arguments: `{"city":"${city}"}` } }] } }] }) });
    const parts = [...decoder.decode(chunk('a', 'Paris')), ...decoder.decode(chunk('b', 'Rome'))];
    assert.deepEqual(parts.filter((part) => part.type === 'tool-call-start').map((part) => (part as { index: number }).index), [0, 1]);
  });

  test('an event that is not JSON is a stream error', () => {
    const decoder = openaiChatCodec.createStreamDecoder();
    const parts = decoder.decode({ data: '{not json' });
    assert.ok(parts[0]!.type === 'error' && parts[0]!.error.code === 'upstream_stream_error');
    assert.deepEqual(decoder.end(), []);
  });
});

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: Record<string, unknown> | null;
  error?: Record<string, unknown>;
}

function framesOf(text: string): (Chunk | '[DONE]')[] {
  assert.ok(text.endsWith('\n\n'), 'frames end with a blank line');
  return text
    .split('\n\n')
    .filter((frame) => frame.length > 0)
    .map((frame) => {
      assert.ok(frame.startsWith('data: '), frame);
      const data = frame.slice('data: '.length);
      return data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as Chunk);
    });
}

describe('openai-chat stream encoder', () => {
  const options = { id: 'chatcmpl-gw1', created: 1751000000, model: 'my-model', includeUsage: true };

  function encodeAll(parts: StreamPart[], includeUsage = true): string {
    const encoder = openaiChatCodec.createStreamEncoder({ ...options, includeUsage });
    return parts.map((part) => encoder.encode(part)).join('') + encoder.end();
  }

  test('text, tool calls, finish, usage chunk and [DONE], exactly like OpenAI', () => {
    const text = encodeAll([
      { type: 'start', id: 'upstream-id', model: 'upstream-model', created: 5 },
      { type: 'text-delta', choice: 0, text: 'Hel' },
      { type: 'text-delta', choice: 0, text: 'lo' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'call_1', name: 'get_weather' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"Paris"}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_use' } },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: undefined } },
      { type: 'usage', usage: { inputTokens: undefined, outputTokens: 5, cachedInputTokens: 4 } },
    ]);
    const frames = framesOf(text);
    assert.equal(frames.at(-1), '[DONE]');
    const chunks = frames.slice(0, -1) as Chunk[];
    for (const chunk of chunks) {
      assert.equal(chunk.id, 'chatcmpl-gw1');
      assert.equal(chunk.created, 1751000000);
      assert.equal(chunk.model, 'my-model');
      assert.equal(chunk.object, 'chat.completion.chunk');
    }
    assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: 'assistant', content: '' });
    assert.deepEqual(chunks[1]!.choices[0]!.delta, { content: 'Hel' });
    assert.deepEqual(chunks[3]!.choices[0]!.delta, { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] });
    assert.deepEqual(chunks[4]!.choices[0]!.delta, { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] });
    assert.deepEqual(chunks[6]!.choices[0], { index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' });
    const usageChunk = chunks[7]!;
    assert.deepEqual(usageChunk.choices, []);
    assert.deepEqual(usageChunk.usage, { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } });
    assert.equal(chunks.length, 8);
    for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.usage, null, 'usage: null on every other chunk');
  });

  test('no usage chunk when the caller did not ask', () => {
    const frames = framesOf(encodeAll([{ type: 'start', id: 'a', model: 'b', created: 1 }, { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } }, { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } }], false));
    assert.equal(frames.length, 3);
    for (const frame of frames.slice(0, -1)) assert.equal('usage' in (frame as Chunk), false);
  });

  test('an error part becomes an error frame followed by [DONE]', () => {
    const frames = framesOf(encodeAll([{ type: 'text-delta', choice: 0, text: 'partial' }, { type: 'error', error: new GatewayError('upstream_stream_error', 'The stream broke.') }, { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } }]));
    assert.deepEqual((frames[0] as Chunk).choices[0]!.delta, { role: 'assistant', content: '' }, 'role chunk even without a start part');
    assert.deepEqual(frames[2], { error: { message: 'The stream broke.', type: 'api_error', code: 'upstream_stream_error', param: null } });
    assert.equal(frames[3], '[DONE]');
    assert.equal(frames.length, 4);
  });

  test('several choices each get their role chunk; reasoning uses reasoning_content', () => {
    const chunks = framesOf(encodeAll([{ type: 'start', id: 'a', model: 'b', created: 1 }, { type: 'reasoning-delta', choice: 1, text: 'think' }, { type: 'text-delta', choice: 1, text: 'x' }], false)).slice(0, -1) as Chunk[];
    assert.deepEqual(chunks.map((chunk) => [chunk.choices[0]!.index, chunk.choices[0]!.delta]), [
      [0, { role: 'assistant', content: '' }],
      [1, { role: 'assistant', content: '' }],
      [1, { reasoning_content: 'think' }],
      [1, { content: 'x' }],
    ]);
  });

  test('encoder output decodes back to the same parts', async () => {
    const parts: StreamPart[] = [
      { type: 'start', id: 'chatcmpl-gw1', model: 'my-model', created: 1751000000 },
      { type: 'text-delta', choice: 0, text: 'Hi ' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'call_1', name: 'a' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{}' },
      { type: 'tool-call-start', choice: 0, index: 1, id: 'call_2', name: 'b' },
      { type: 'tool-call-delta', choice: 0, index: 1, argumentsDelta: '{"x":1}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 3, cachedInputTokens: 2, reasoningTokens: 1 } },
    ];
    const decoder = openaiChatCodec.createStreamDecoder();
    const decoded: StreamPart[] = [];
    for (const event of await eventsOf(encodeAll(parts))) decoded.push(...decoder.decode(event));
    decoded.push(...decoder.end());
    assert.deepEqual(decoded, parts);
  });
});
