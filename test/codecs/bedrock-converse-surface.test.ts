import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { awsEventStreamFrame } from '../../src/codecs/aws-event-stream-frame.js';
import { ConverseStreamEncoder, bedrockConverseCodec, decodeConverseRequest, encodeConverseResponse } from '../../src/codecs/bedrock-converse/index.js';
import { parseAwsEventStream } from '../../src/providers/transport/aws-event-stream.js';
import { GatewayError, type StreamPart } from '../../src/spec/index.js';

/** The caller half of the Converse codec, checked against the upstream half and AWS's own frame decoder. */

const smithy = new EventStreamCodec(toUtf8, fromUtf8);

test('frames carry valid prelude and message CRCs (AWS\'s decoder checks both) and string headers', () => {
  const frame = awsEventStreamFrame({ ':event-type': 'contentBlockDelta', ':content-type': 'application/json', ':message-type': 'event' }, '{"contentBlockIndex":0,"delta":{"text":"héllo"}}');
  const message = smithy.decode(frame);
  assert.deepEqual(message.headers[':event-type'], { type: 'string', value: 'contentBlockDelta' });
  assert.deepEqual(message.headers[':message-type'], { type: 'string', value: 'event' });
  assert.equal(toUtf8(message.body), '{"contentBlockIndex":0,"delta":{"text":"héllo"}}');
  // One flipped payload bit fails the message CRC; one in the length fails the prelude CRC.
  const corrupt = Buffer.from(frame);
  corrupt[frame.length - 6]! ^= 1;
  assert.throws(() => smithy.decode(corrupt), /checksum/i);
  const badPrelude = Buffer.from(frame);
  badPrelude[6]! ^= 1;
  assert.throws(() => smithy.decode(badPrelude), /checksum/i);
});

test('a Converse body decoded by the surface and encoded again by the upstream codec comes back the same', () => {
  const body = {
    system: [{ text: 'You are terse.' }, { cachePoint: { type: 'default' } }],
    messages: [
      { role: 'user', content: [{ text: 'What is in this picture?' }, { image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } }, { cachePoint: { type: 'default' } }] },
      { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'Looking.', signature: 'sig-1' } } }, { text: 'Checking.' }, { toolUse: { toolUseId: 'tu_1', name: 'zoom', input: { factor: 2 } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tu_1', content: [{ text: 'a cat' }], status: 'error' } }, { text: 'And now?' }] },
    ],
    inferenceConfig: { maxTokens: 300, temperature: 0.5, topP: 0.9, stopSequences: ['END'] },
    toolConfig: { tools: [{ toolSpec: { name: 'zoom', description: 'Zooms in', inputSchema: { json: { type: 'object', properties: { factor: { type: 'number' } } } } } }, { cachePoint: { type: 'default' } }], toolChoice: { tool: { name: 'zoom' } } },
    additionalModelRequestFields: { top_k: 40 },
  };
  const request = decodeConverseRequest(body, 'any/model', false);
  assert.equal(request.model, 'any/model');
  assert.equal(request.stream, false);
  assert.deepEqual(request.messages.map((message) => message.role), ['system', 'user', 'assistant', 'tool', 'user']);
  assert.deepEqual(bedrockConverseCodec.encodeRequest(request, 'meta.llama3-70b-instruct-v1:0'), body);
});

test('bad Converse bodies are invalid_request naming the field', () => {
  const cases: [unknown, string][] = [
    [[], 'body'],
    [{}, 'messages'],
    [{ messages: [{ role: 'system', content: [] }] }, 'messages[0].role'],
    [{ messages: [{ role: 'user', content: 'hi' }] }, 'messages[0].content'],
    [{ messages: [{ role: 'user', content: [{ video: {} }] }] }, 'messages[0].content[0]'],
    [{ messages: [{ role: 'user', content: [{ toolResult: { content: [] } }] }] }, 'messages[0].content[0].toolResult.toolUseId'],
    [{ messages: [], inferenceConfig: { maxTokens: -1 } }, 'inferenceConfig.maxTokens'],
    [{ messages: [], inferenceConfig: { stopSequences: [1] } }, 'inferenceConfig.stopSequences[0]'],
    [{ messages: [], toolConfig: { tools: [{ toolSpec: { name: 'x' } }] } }, 'toolConfig.tools[0].toolSpec.inputSchema'],
    [{ messages: [], toolConfig: { tools: [], toolChoice: { maybe: {} } } }, 'toolConfig.toolChoice'],
    [{ messages: [], system: [{ image: {} }] }, 'system[0]'],
  ];
  for (const [body, param] of cases) {
    assert.throws(() => decodeConverseRequest(body, 'm', false), (error: unknown) => {
      assert.ok(GatewayError.is(error), String(error));
      assert.equal(error.code, 'invalid_request');
      assert.equal(error.param, param, JSON.stringify(body));
      return true;
    });
  }
});

test('Converse answers: usage without the cached tokens in inputTokens, stop reasons by meaning, tool input as an object', () => {
  const wire = encodeConverseResponse(
    {
      id: 'x',
      model: 'm',
      created: 0,
      choices: [{ index: 0, content: [{ type: 'text', text: 'Done.' }], toolCalls: [{ id: 'c1', name: 'save', arguments: '{"ok":true}' }], finishReason: { unified: 'tool-calls', raw: 'tool_calls' } }],
      usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens: 60, cacheWriteTokens: 10 },
    },
    12.4,
  );
  assert.deepEqual(wire, {
    output: { message: { role: 'assistant', content: [{ text: 'Done.' }, { toolUse: { toolUseId: 'c1', name: 'save', input: { ok: true } } }] } },
    stopReason: 'tool_use',
    usage: { inputTokens: 30, outputTokens: 20, totalTokens: 120, cacheReadInputTokens: 60, cacheWriteInputTokens: 10 },
    metrics: { latencyMs: 12 },
  });
  // The upstream half reads it back to the same usage.
  assert.deepEqual(bedrockConverseCodec.decodeResponse(wire).usage, { inputTokens: 100, outputTokens: 20, cachedInputTokens: 60, cacheWriteTokens: 10 });
});

async function* bytes(frames: Buffer[]): AsyncGenerator<Buffer> {
  // Cut across frame boundaries, as a network would.
  const all = Buffer.concat(frames);
  for (let offset = 0; offset < all.length; offset += 7) yield all.subarray(offset, offset + 7);
}

test('the stream encoder\'s frames, read back by the Bedrock provider\'s decoder, give the same parts', async () => {
  const encoder = new ConverseStreamEncoder(Date.now());
  const parts: StreamPart[] = [
    { type: 'start', id: 'a', model: 'm', created: 0 },
    { type: 'reasoning-delta', choice: 0, text: 'Thinking', signature: 'sig' },
    { type: 'text-delta', choice: 0, text: 'Hel' },
    { type: 'text-delta', choice: 0, text: 'lo' },
    { type: 'tool-call-start', choice: 0, index: 0, id: 'tu_9', name: 'lookup' },
    { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"q":' },
    { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"x"}' },
    { type: 'usage', usage: { inputTokens: 9, outputTokens: 4 } },
    { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
  ];
  const frames = [...parts.flatMap((part) => encoder.encode(part)), ...encoder.end()];
  const names = frames.map((frame) => (smithy.decode(frame).headers[':event-type']?.value as string));
  assert.deepEqual(names, ['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'contentBlockStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
  const decoder = bedrockConverseCodec.createStreamDecoder();
  const decoded: StreamPart[] = [];
  for await (const event of parseAwsEventStream(bytes(frames))) decoded.push(...decoder.decode(event));
  decoded.push(...decoder.end());
  assert.deepEqual(
    decoded.filter((part) => part.type !== 'start'),
    [
      { type: 'reasoning-delta', choice: 0, text: 'Thinking' },
      { type: 'reasoning-delta', choice: 0, text: '', signature: 'sig' },
      { type: 'text-delta', choice: 0, text: 'Hel' },
      { type: 'text-delta', choice: 0, text: 'lo' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'tu_9', name: 'lookup' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"q":' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"x"}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_use' } },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 4 } },
    ],
  );
});

test('an error part becomes one exception frame and nothing follows it', async () => {
  const encoder = new ConverseStreamEncoder(Date.now());
  const frames = [...encoder.encode({ type: 'text-delta', choice: 0, text: 'partial' }), ...encoder.encode({ type: 'error', error: new GatewayError('upstream_rate_limited', 'Slow down.') }), ...encoder.encode({ type: 'text-delta', choice: 0, text: 'more' }), ...encoder.end()];
  const last = smithy.decode(frames.at(-1)!);
  assert.deepEqual(last.headers[':message-type'], { type: 'string', value: 'exception' });
  assert.deepEqual(last.headers[':exception-type'], { type: 'string', value: 'throttlingException' });
  assert.deepEqual(JSON.parse(toUtf8(last.body)), { message: 'Slow down.' });
  assert.equal(frames.length, 3); // messageStart, the delta, the exception
  // The provider half reads it as the documented Bedrock stream exception.
  const decoder = bedrockConverseCodec.createStreamDecoder();
  const decoded: StreamPart[] = [];
  for await (const event of parseAwsEventStream(bytes(frames))) decoded.push(...decoder.decode(event));
  const failure = decoded.at(-1);
  assert.equal(failure?.type, 'error');
  assert.equal(failure?.type === 'error' && failure.error.code, 'upstream_rate_limited');
});
