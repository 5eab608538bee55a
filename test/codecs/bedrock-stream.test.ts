import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { WireEvent } from '../../src/codecs/codec.js';
import { bedrockConverseCodec as codec, ERROR_EVENT_PREFIX as CODEC_ERROR_PREFIX, EXCEPTION_EVENT_PREFIX as CODEC_EXCEPTION_PREFIX } from '../../src/codecs/bedrock-converse/index.js';
import { ERROR_EVENT_PREFIX, EXCEPTION_EVENT_PREFIX, parseAwsEventStream } from '../../src/providers/transport/aws-event-stream.js';
import type { StreamPart } from '../../src/spec/index.js';

const frames = new EventStreamCodec(toUtf8, fromUtf8);

function eventFrame(type: string, payload: unknown): Uint8Array {
  return frames.encode({
    headers: { ':event-type': { type: 'string', value: type }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'event' } },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

function exceptionFrame(type: string, message: string): Uint8Array {
  return frames.encode({
    headers: { ':exception-type': { type: 'string', value: type }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'exception' } },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** The frames as one byte string cut into `size`-byte chunks, so frames straddle reads as on a socket. */
async function* chunked(parts: Uint8Array[], size: number): AsyncGenerator<Buffer> {
  const all = Buffer.concat(parts);
  for (let start = 0; start < all.length; start += size) yield all.subarray(start, start + size);
}

async function collect(events: AsyncIterable<WireEvent>): Promise<WireEvent[]> {
  const result: WireEvent[] = [];
  for await (const event of events) result.push(event);
  return result;
}

function decodeAll(events: WireEvent[]): StreamPart[] {
  const decoder = codec.createStreamDecoder();
  const parts: StreamPart[] = [];
  for (const event of events) parts.push(...decoder.decode(event));
  parts.push(...decoder.end());
  return parts;
}

const CONVERSATION = [
  eventFrame('messageStart', { role: 'assistant', p: 'abc' }),
  eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Let me see.' } } }),
  eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig-1' } } }),
  eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
  eventFrame('contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Checking ' } }),
  eventFrame('contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Paris.' } }),
  eventFrame('contentBlockStop', { contentBlockIndex: 1 }),
  eventFrame('contentBlockStart', { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tooluse_a', name: 'get_weather' } } }),
  eventFrame('contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '{"city":' } } }),
  eventFrame('contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '"Paris"}' } } }),
  eventFrame('contentBlockStop', { contentBlockIndex: 2 }),
  eventFrame('messageStop', { stopReason: 'tool_use' }),
  eventFrame('metadata', { usage: { inputTokens: 20, outputTokens: 15, totalTokens: 135, cacheReadInputTokens: 100 }, metrics: { latencyMs: 400 } }),
];

describe('AWS event-stream framing', () => {
  test('frames split across reads (one byte at a time) decode to the events in order', async () => {
    const events = await collect(parseAwsEventStream(chunked(CONVERSATION, 1)));
    assert.equal(events.length, CONVERSATION.length);
    assert.deepEqual(events[0], { event: 'messageStart', data: '{"role":"assistant","p":"abc"}' });
    assert.equal(events[12]!.event, 'metadata');
  });

  test('exception frames are named with the exception prefix the codec reads', async () => {
    assert.equal(EXCEPTION_EVENT_PREFIX, CODEC_EXCEPTION_PREFIX);
    assert.equal(ERROR_EVENT_PREFIX, CODEC_ERROR_PREFIX);
    const events = await collect(parseAwsEventStream(chunked([exceptionFrame('throttlingException', 'Too many tokens')], 7)));
    assert.deepEqual(events, [{ event: 'exception:throttlingException', data: '{"message":"Too many tokens"}' }]);
  });

  test('an error frame (:message-type error) becomes a non-retryable error part naming its code', async () => {
    const errorFrame = frames.encode({
      headers: { ':message-type': { type: 'string', value: 'error' }, ':error-code': { type: 'string', value: 'InternalFailure' }, ':error-message': { type: 'string', value: 'Something went wrong' } },
      body: new Uint8Array(0),
    });
    const events = await collect(parseAwsEventStream(chunked([errorFrame], 5)));
    assert.deepEqual(events, [{ event: 'error:InternalFailure', data: '{"message":"Something went wrong"}' }]);
    const parts = decodeAll(events);
    assert.equal(parts.length, 1);
    assert.ok(parts[0]!.type === 'error' && parts[0]!.error.code === 'upstream_stream_error' && /InternalFailure: Something went wrong/.test(parts[0]!.error.message));
  });

  test('a corrupted frame (bad CRC) throws; a frame cut off by the end of the body is dropped', async () => {
    const corrupt = Buffer.from(eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }));
    corrupt[corrupt.length - 6] = corrupt[corrupt.length - 6]! ^ 0xff;
    await assert.rejects(collect(parseAwsEventStream(chunked([corrupt], 64))), /checksum/i);
    const whole = eventFrame('messageStart', { role: 'assistant' });
    const cut = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }).subarray(0, 20);
    assert.deepEqual(await collect(parseAwsEventStream(chunked([whole, cut], 16))), [{ event: 'messageStart', data: '{"role":"assistant"}' }]);
  });

  test('an impossible frame length throws rather than waiting forever', async () => {
    await assert.rejects(collect(parseAwsEventStream(chunked([Buffer.from('this is not an event stream')], 64))), /impossible length/);
  });
});

describe('ConverseStream decoding', () => {
  test('reasoning, text, a tool call, the stop reason and usage become spec parts', async () => {
    const parts = decodeAll(await collect(parseAwsEventStream(chunked(CONVERSATION, 50))));
    assert.equal(parts[0]!.type, 'start');
    assert.deepEqual(parts.slice(1), [
      { type: 'reasoning-delta', choice: 0, text: 'Let me see.' },
      { type: 'reasoning-delta', choice: 0, text: '', signature: 'sig-1' },
      { type: 'text-delta', choice: 0, text: 'Checking ' },
      { type: 'text-delta', choice: 0, text: 'Paris.' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'tooluse_a', name: 'get_weather' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"Paris"}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_use' } },
      { type: 'usage', usage: { inputTokens: 120, outputTokens: 15, cachedInputTokens: 100 } },
    ]);
  });

  test('stream exceptions become error parts, retryable where Bedrock says to retry', async () => {
    const cases: [string, string, boolean][] = [
      ['throttlingException', 'upstream_rate_limited', true],
      ['modelStreamErrorException', 'upstream_stream_error', true],
      ['internalServerException', 'upstream_stream_error', true],
      ['serviceUnavailableException', 'upstream_stream_error', true],
      ['validationException', 'upstream_stream_error', false],
    ];
    for (const [type, code, retryable] of cases) {
      const parts = decodeAll(await collect(parseAwsEventStream(chunked([eventFrame('messageStart', { role: 'assistant' }), exceptionFrame(type, `${type} happened`)], 13))));
      const errors = parts.filter((part) => part.type === 'error');
      assert.equal(errors.length, 1, `${type}: one error part, none added by end()`);
      const error = errors[0]!.type === 'error' ? errors[0]!.error : undefined;
      assert.equal(error?.code, code, type);
      assert.equal(error?.retryable, retryable, type);
      assert.match(error!.message, new RegExp(`${type} happened`));
    }
  });

  test('a stream that ends before messageStop ends with a retryable error part', () => {
    const decoder = codec.createStreamDecoder();
    decoder.decode({ event: 'messageStart', data: '{"role":"assistant"}' });
    decoder.decode({ event: 'contentBlockDelta', data: '{"contentBlockIndex":0,"delta":{"text":"par"}}' });
    const end = decoder.end();
    assert.equal(end.length, 1);
    assert.ok(end[0]!.type === 'error' && end[0]!.error.code === 'upstream_stream_error' && end[0]!.error.retryable);
  });

  test('usage after messageStop still counts, and end() adds nothing', () => {
    const decoder = codec.createStreamDecoder();
    decoder.decode({ event: 'messageStop', data: '{"stopReason":"end_turn"}' });
    assert.deepEqual(decoder.decode({ event: 'metadata', data: '{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7}}' }), [{ type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } }]);
    assert.deepEqual(decoder.end(), []);
  });
});
