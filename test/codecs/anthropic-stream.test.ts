import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { WireEvent } from '../../src/codecs/codec.js';
import { anthropicMessagesCodec as codec } from '../../src/codecs/anthropic-messages/index.js';
import { parseServerSentEvents } from '../../src/providers/transport/event-stream.js';
import { GatewayError, type StreamPart, type Usage } from '../../src/spec/index.js';

const FIXTURES = new URL('../../../test/fixtures/anthropic/', import.meta.url);

async function* chunksOf(text: string): AsyncGenerator<string> {
  // Uneven chunks, so events are split across reads as they are on a real socket.
  for (let start = 0; start < text.length; start += 37) yield text.slice(start, start + 37);
}

async function eventsOf(text: string): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  for await (const event of parseServerSentEvents(chunksOf(text))) events.push(event);
  return events;
}

async function decodeText(text: string): Promise<StreamPart[]> {
  const decoder = codec.createStreamDecoder();
  const parts: StreamPart[] = [];
  for (const event of await eventsOf(text)) parts.push(...decoder.decode(event));
  parts.push(...decoder.end());
  return parts;
}

async function decodeFixture(name: string): Promise<StreamPart[]> {
  return decodeText(await readFile(new URL(name, FIXTURES), 'utf8'));
}

function textOf(parts: StreamPart[]): string {
  return parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
}

function lastUsage(parts: StreamPart[]): Usage | undefined {
  let usage: Usage | undefined;
  for (const part of parts) if (part.type === 'usage') usage = { ...usage, ...Object.fromEntries(Object.entries(part.usage).filter(([, value]) => value !== undefined)) } as Usage;
  return usage;
}

describe('anthropic stream decoder over recorded transcripts', () => {
  test('text: start, deltas, finish and usage with cache fields', async () => {
    const parts = await decodeFixture('text.txt');
    const start = parts[0];
    assert.ok(start?.type === 'start');
    assert.equal(start.id, 'msg_01XFDUDYJgAACzvnptvVoYEL');
    assert.equal(start.model, 'claude-sonnet-4-5-20250929');
    assert.equal(textOf(parts), 'Hello! How can I help you today?');
    assert.deepEqual(parts.filter((part) => part.type === 'finish'), [{ type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'end_turn' } }]);
    assert.deepEqual(lastUsage(parts), { inputTokens: 2125, outputTokens: 12, cachedInputTokens: 2000, cacheWriteTokens: 100, cacheWrite1hTokens: 40 });
    assert.equal(parts.some((part) => part.type === 'error'), false);
  });

  test('thinking with its signature, redacted thinking, then text', async () => {
    const parts = await decodeFixture('thinking.txt');
    const reasoning = parts.filter((part) => part.type === 'reasoning-delta');
    assert.equal(reasoning.map((part) => part.text).join(''), 'I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0');
    assert.deepEqual(reasoning.at(-1), { type: 'reasoning-delta', choice: 0, text: '', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' });
    assert.deepEqual(parts.filter((part) => part.type === 'redacted-reasoning'), [{ type: 'redacted-reasoning', choice: 0, data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP' }]);
    assert.equal(textOf(parts), 'The greatest common divisor of 1071 and 462 is **21**.');
    assert.deepEqual(lastUsage(parts), { inputTokens: 40, outputTokens: 184, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 150 });
  });

  test('parallel tool_use blocks get tool indexes 0 and 1 and their JSON pieces', async () => {
    const parts = await decodeFixture('parallel-tools.txt');
    assert.equal(textOf(parts), "I'll check the weather in both cities.");
    const starts = parts.filter((part) => part.type === 'tool-call-start');
    assert.deepEqual(starts, [
      { type: 'tool-call-start', choice: 0, index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather' },
      { type: 'tool-call-start', choice: 0, index: 1, id: 'toolu_01LdwhLkT4bb2L2mUBSqb8AX', name: 'get_weather' },
    ]);
    const argumentsOf = (index: number) => parts.map((part) => (part.type === 'tool-call-delta' && part.index === index ? part.argumentsDelta : '')).join('');
    assert.deepEqual(JSON.parse(argumentsOf(0)), { location: 'Paris, France' });
    assert.deepEqual(JSON.parse(argumentsOf(1)), { location: 'Tokyo, Japan' });
    assert.deepEqual(parts.find((part) => part.type === 'finish'), { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_use' } });
    assert.deepEqual(lastUsage(parts), { inputTokens: 472, outputTokens: 89 });
  });

  test('an error event becomes one retryable error part, and end() adds nothing', async () => {
    const parts = await decodeFixture('error-overloaded.txt');
    assert.equal(textOf(parts), 'Once upon');
    const errors = parts.filter((part) => part.type === 'error');
    assert.equal(errors.length, 1);
    const error = errors[0]!.type === 'error' ? errors[0]!.error : undefined;
    assert.ok(GatewayError.is(error));
    assert.equal(error.code, 'upstream_stream_error');
    assert.equal(error.retryable, true);
    assert.equal(error.upstreamStatus, 529);
    assert.match(error.message, /Overloaded/);
  });

  test('a stream cut before message_stop ends with an upstream_stream_error part', async () => {
    const parts = await decodeFixture('truncated.txt');
    assert.equal(textOf(parts), 'The first');
    const last = parts.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'upstream_stream_error');
    assert.equal(last.error.retryable, true);
  });

  test('message_delta input usage replaces, never adds to, message_start', () => {
    const decoder = codec.createStreamDecoder();
    decoder.decode({ event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'm', model: 'c', usage: { input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 1 } } }) });
    const parts = decoder.decode({ event: 'message_delta', data: JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { input_tokens: 12, cache_read_input_tokens: null, output_tokens: 30 } }) });
    assert.deepEqual(parts, [
      { type: 'finish', choice: 0, finishReason: { unified: 'length', raw: 'max_tokens' } },
      { type: 'usage', usage: { inputTokens: 102, outputTokens: 30, cachedInputTokens: 90 } },
    ]);
  });

  test('an event whose data is not JSON is an error part', () => {
    const decoder = codec.createStreamDecoder();
    const parts = decoder.decode({ event: 'content_block_delta', data: '{"type":' });
    assert.equal(parts[0]?.type, 'error');
    assert.deepEqual(decoder.end(), []);
  });
});

describe('anthropic stream encoder', () => {
  const options = { model: 'my-route', id: 'msg_gateway_1', created: 1_700_000_000, includeUsage: true };

  function encodeAll(parts: StreamPart[]): string {
    const encoder = codec.createStreamEncoder(options);
    return parts.map((part) => encoder.encode(part)).join('') + encoder.end();
  }

  test('writes Anthropic event names and block indexes in order', async () => {
    const wire = encodeAll([
      { type: 'start', id: 'upstream', model: 'gpt-4o', created: 1 },
      { type: 'usage', usage: { inputTokens: 30, outputTokens: undefined, cachedInputTokens: 20 } },
      { type: 'reasoning-delta', choice: 0, text: 'hmm' },
      { type: 'reasoning-delta', choice: 0, text: '', signature: 'sig' },
      { type: 'text-delta', choice: 0, text: 'Hi' },
      { type: 'text-delta', choice: 0, text: ' there' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'call_1', name: 'f' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"a":1}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
      { type: 'usage', usage: { inputTokens: undefined, outputTokens: 9 } },
    ]);
    const events = await eventsOf(wire);
    assert.deepEqual(
      events.map((event) => {
        const data = JSON.parse(event.data) as { type: string; index?: number; delta?: { type?: string } };
        assert.equal(data.type, event.event, 'the data type repeats the event name');
        return [event.event, data.index, data.delta?.type].filter((value) => value !== undefined).join(':');
      }),
      [
        'message_start',
        'content_block_start:0',
        'content_block_delta:0:thinking_delta',
        'content_block_delta:0:signature_delta',
        'content_block_stop:0',
        'content_block_start:1',
        'content_block_delta:1:text_delta',
        'content_block_delta:1:text_delta',
        'content_block_stop:1',
        'content_block_start:2',
        'content_block_delta:2:input_json_delta',
        'content_block_stop:2',
        'message_delta',
        'message_stop',
      ],
    );
    assert.ok(wire.startsWith('event: message_start\ndata: {'));
    assert.ok(wire.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
    const start = JSON.parse(events[0]!.data) as { message: { id: string; model: string; usage: Record<string, unknown> } };
    assert.equal(start.message.id, 'msg_gateway_1');
    assert.equal(start.message.model, 'my-route');
    assert.equal(start.message.usage.input_tokens, 10);
    assert.equal(start.message.usage.cache_read_input_tokens, 20);
    const delta = JSON.parse(events.at(-2)!.data) as { delta: { stop_reason: string }; usage: { output_tokens: number } };
    assert.equal(delta.delta.stop_reason, 'tool_use');
    assert.equal(delta.usage.output_tokens, 9);
  });

  test('round trip: fixtures decoded, re-encoded and decoded again give the same parts', async () => {
    for (const name of ['text.txt', 'thinking.txt', 'parallel-tools.txt']) {
      const original = await decodeFixture(name);
      const again = await decodeText(encodeAll(original));
      const withoutStart = (parts: StreamPart[]) => parts.filter((part) => part.type !== 'start');
      // Usage arrives in fewer reports after re-encoding; the totals must agree.
      const content = (parts: StreamPart[]) => withoutStart(parts).filter((part) => part.type !== 'usage');
      assert.deepEqual(content(again), content(original), name);
      assert.deepEqual(lastUsage(again), lastUsage(original), name);
      const start = again[0];
      assert.ok(start?.type === 'start');
      assert.equal(start.id, 'msg_gateway_1');
    }
  });

  test('an error part becomes `event: error` in Anthropic envelope and closes the stream', async () => {
    const encoder = codec.createStreamEncoder(options);
    let wire = encoder.encode({ type: 'start', id: 'x', model: 'm', created: 1 });
    wire += encoder.encode({ type: 'text-delta', choice: 0, text: 'partial' });
    wire += encoder.encode({ type: 'error', error: new GatewayError('upstream_stream_error', 'The stream broke.', { status: 529 }) });
    wire += encoder.encode({ type: 'text-delta', choice: 0, text: 'ignored' });
    wire += encoder.end();
    const events = await eventsOf(wire);
    const last = events.at(-1)!;
    assert.equal(last.event, 'error');
    assert.deepEqual(JSON.parse(last.data), { type: 'error', error: { type: 'overloaded_error', message: 'The stream broke.', code: 'upstream_stream_error' } });
    const parts = await decodeText(wire);
    assert.equal(textOf(parts), 'partial');
    assert.equal(parts.at(-1)?.type, 'error');
  });

  test('interleaved tool arguments still reach their own block index', async () => {
    const wire = encodeAll([
      { type: 'tool-call-start', choice: 0, index: 0, id: 'a', name: 'f' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"x":' },
      { type: 'tool-call-start', choice: 0, index: 1, id: 'b', name: 'g' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '1}' },
      { type: 'tool-call-delta', choice: 0, index: 1, argumentsDelta: '{}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: undefined } },
    ]);
    const parts = await decodeText(wire);
    const argumentsOf = (index: number) => parts.map((part) => (part.type === 'tool-call-delta' && part.index === index ? part.argumentsDelta : '')).join('');
    assert.equal(argumentsOf(0), '{"x":1}');
    assert.equal(argumentsOf(1), '{}');
  });
});
