import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { geminiCodec } from '../../src/codecs/gemini/index.js';
import { GatewayError, type StreamPart } from '../../src/spec/index.js';
import { decodeStream, eventsOf, readFixture } from '../fixtures/gemini/read-fixture.js';

function textOf(parts: StreamPart[], type: 'text-delta' | 'reasoning-delta' = 'text-delta'): string {
  return parts.map((part) => (part.type === type ? part.text : '')).join('');
}

function ofType<T extends StreamPart['type']>(parts: StreamPart[], type: T): Extract<StreamPart, { type: T }>[] {
  return parts.filter((part): part is Extract<StreamPart, { type: T }> => part.type === type);
}

describe('gemini stream decoder over recorded-style transcripts', () => {
  test('fixtures use CRLF framing, as Gemini does', () => {
    const text = readFixture('text.txt');
    assert.ok(text.startsWith('data: {'));
    assert.ok(text.includes('}\r\n\r\ndata: {'));
    assert.ok(!text.includes('[DONE]'));
  });

  test('text: start, deltas in order, finish stop, the last usage only', async () => {
    const parts = await decodeStream(readFixture('text.txt'));
    assert.deepEqual(parts[0], { type: 'start', id: '8lfMaMfGNYmW1MkPwNP1qAo', model: 'gemini-2.5-flash', created: (parts[0] as { created: number }).created });
    assert.equal(textOf(parts), 'The capital of France is Paris. It sits on the Seine in the north of the country.');
    assert.deepEqual(ofType(parts, 'finish'), [{ type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'STOP' } }]);
    assert.deepEqual(ofType(parts, 'usage'), [{ type: 'usage', usage: { inputTokens: 9, outputTokens: 19, cachedInputTokens: 0, reasoningTokens: 0 } }]);
    assert.equal(ofType(parts, 'error').length, 0);
    assert.equal(parts[parts.length - 1]!.type, 'usage');
  });

  test('thoughts: reasoning deltas, then text, then the signature; usage arithmetic with cache and thoughts', async () => {
    const parts = await decodeStream(readFixture('thoughts.txt'));
    assert.equal(textOf(parts, 'reasoning-delta'), "**Counting the letters**\n\nI'm going through *strawberry* letter by letter and find three r's.");
    assert.equal(textOf(parts), 'There are **3** "r"s in strawberry.');
    const signed = ofType(parts, 'reasoning-delta').filter((part) => part.signature !== undefined);
    assert.equal(signed.length, 1);
    assert.equal(signed[0]!.text, '');
    assert.match(signed[0]!.signature!, /^CrUBAdHtim9/);
    // promptTokenCount already includes the cached 1024; output = candidates 13 + thoughts 256.
    assert.deepEqual(ofType(parts, 'usage')[0]!.usage, { inputTokens: 1034, outputTokens: 269, cachedInputTokens: 1024, reasoningTokens: 256 });
  });

  test('parallel function calls: whole calls with generated ids, incrementing index, one delta each; STOP → tool-calls', async () => {
    const parts = await decodeStream(readFixture('parallel-function-calls.txt'));
    const starts = ofType(parts, 'tool-call-start');
    assert.deepEqual(
      starts.map(({ index, id, name }) => ({ index, id, name })),
      [
        { index: 0, id: 'call_0', name: 'get_weather' },
        { index: 1, id: 'call_1', name: 'get_weather' },
      ],
    );
    const deltas = ofType(parts, 'tool-call-delta');
    assert.deepEqual(
      deltas.map((delta) => [delta.index, JSON.parse(delta.argumentsDelta)]),
      [
        [0, { city: 'Paris' }],
        [1, { city: 'Tokyo', unit: 'celsius' }],
      ],
    );
    // The signature Gemini put on the first call comes just before it.
    const signatureAt = parts.findIndex((part) => part.type === 'reasoning-delta' && part.signature !== undefined);
    assert.equal(parts[signatureAt + 1]!.type, 'tool-call-start');
    assert.deepEqual(ofType(parts, 'finish')[0]!.finishReason, { unified: 'tool-calls', raw: 'STOP' });
    assert.deepEqual(ofType(parts, 'usage')[0]!.usage, { inputTokens: 61, outputTokens: 102, cachedInputTokens: 0, reasoningTokens: 72 });
  });

  test('SAFETY finish without content → content-filter', async () => {
    const parts = await decodeStream(readFixture('safety.txt'));
    assert.equal(textOf(parts), 'Here is how you');
    assert.deepEqual(ofType(parts, 'finish'), [{ type: 'finish', choice: 0, finishReason: { unified: 'content-filter', raw: 'SAFETY' } }]);
    assert.equal(ofType(parts, 'error').length, 0);
  });

  test('a blocked prompt → content-filter finish with the block reason', async () => {
    const parts = await decodeStream(readFixture('prompt-blocked.txt'));
    assert.deepEqual(ofType(parts, 'finish'), [{ type: 'finish', choice: 0, finishReason: { unified: 'content-filter', raw: 'PROHIBITED_CONTENT' } }]);
    assert.equal(ofType(parts, 'usage')[0]!.usage.inputTokens, 21);
  });

  test('truncated: end() without a finishReason → upstream_stream_error, after the usage seen so far', async () => {
    const parts = await decodeStream(readFixture('truncated.txt'));
    assert.equal(textOf(parts), 'Once upon a time, in a land far away,');
    assert.equal(ofType(parts, 'finish').length, 0);
    const last = parts[parts.length - 1]!;
    assert.equal(last.type, 'error');
    assert.ok(last.type === 'error' && last.error.code === 'upstream_stream_error');
    assert.equal(ofType(parts, 'usage')[0]!.usage.outputTokens, 10);
  });

  test('an error envelope inside the stream becomes an error part keeping Google’s message', () => {
    const decoder = geminiCodec.createStreamDecoder();
    const parts = decoder.decode({ data: JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }) });
    assert.equal(parts.length, 1);
    const part = parts[0]!;
    assert.ok(part.type === 'error');
    assert.equal(part.error.code, 'upstream_stream_error');
    assert.match(part.error.message, /The model is overloaded\./);
    assert.equal(part.error.upstreamStatus, 503);
    const garbage = geminiCodec.createStreamDecoder().decode({ data: '{not json' });
    assert.ok(garbage[0]!.type === 'error' && GatewayError.is(garbage[0]!.error));
  });
});

describe('gemini stream encoder', () => {
  const options = { model: 'gemini-2.5-flash', id: 'resp-1', created: 1_700_000_000, includeUsage: false };

  function encodeAll(parts: StreamPart[]): string {
    const encoder = geminiCodec.createStreamEncoder(options);
    return parts.map((part) => encoder.encode(part)).join('') + encoder.end();
  }

  test('writes data: frames with CRLF and no [DONE]; the finish chunk carries usageMetadata', () => {
    const text = encodeAll([
      { type: 'start', id: 'resp-1', model: 'gemini-2.5-flash', created: 1 },
      { type: 'text-delta', choice: 0, text: 'Hello' },
      { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'end_turn' } },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } },
    ]);
    const frames = text.split('\r\n\r\n').filter((frame) => frame.length > 0);
    assert.equal(frames.length, 2);
    for (const frame of frames) assert.ok(frame.startsWith('data: {') && !frame.includes('\n'));
    assert.ok(text.endsWith('\r\n\r\n') && !text.includes('[DONE]'));
    const last = JSON.parse(frames[1]!.slice('data: '.length));
    assert.equal(last.candidates[0].finishReason, 'STOP');
    assert.deepEqual(last.usageMetadata, { promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 });
    assert.equal(last.responseId, 'resp-1');
    assert.equal(last.modelVersion, 'gemini-2.5-flash');
  });

  test('tool call arguments are buffered and sent as one whole functionCall', () => {
    const text = encodeAll([
      { type: 'tool-call-start', choice: 0, index: 0, id: 'call_x', name: 'get_weather' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"ci' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: 'ty":"Paris"}' },
      { type: 'tool-call-start', choice: 0, index: 1, id: 'call_y', name: 'get_weather' },
      { type: 'tool-call-delta', choice: 0, index: 1, argumentsDelta: '{"city":"Tokyo"}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
    ]);
    const chunks = text.split('\r\n\r\n').filter(Boolean).map((frame) => JSON.parse(frame.slice(6)));
    assert.equal(chunks.length, 2);
    assert.deepEqual(chunks[0].candidates[0].content.parts, [
      { functionCall: { id: 'call_x', name: 'get_weather', args: { city: 'Paris' } } },
      { functionCall: { id: 'call_y', name: 'get_weather', args: { city: 'Tokyo' } } },
    ]);
    assert.equal(chunks[1].candidates[0].finishReason, 'STOP');
  });

  test('an error part becomes a Google error envelope frame', () => {
    const text = encodeAll([{ type: 'error', error: new GatewayError('upstream_stream_error', 'broke') }]);
    const body = JSON.parse(text.trim().slice('data: '.length));
    assert.equal(body.error.code, 502);
    assert.equal(body.error.message, 'broke');
    assert.equal(body.error.details[0].reason, 'upstream_stream_error');
  });

  for (const fixture of ['text.txt', 'thoughts.txt', 'parallel-function-calls.txt', 'safety.txt']) {
    test(`round trip: ${fixture} decoded, re-encoded and decoded again gives the same parts`, async () => {
      const first = await decodeStream(readFixture(fixture));
      const reencoded = encodeAll(first);
      const second = await decodeStream(reencoded);
      // The encoder shows the caller the model from its options, not the upstream's modelVersion.
      const comparable = (parts: StreamPart[]) => parts.map((part) => (part.type === 'start' ? { ...part, created: 0, model: '' } : part));
      // Text may be regrouped into other chunks; compare the joined text and everything else part by part.
      assert.equal(textOf(second), textOf(first));
      assert.equal(textOf(second, 'reasoning-delta'), textOf(first, 'reasoning-delta'));
      const structural = (parts: StreamPart[]) => comparable(parts).filter((part) => part.type !== 'text-delta' && !(part.type === 'reasoning-delta' && part.signature === undefined));
      assert.deepEqual(structural(second), structural(first));
      assert.equal((await eventsOf(reencoded)).length > 0, true);
    });
  }
});
