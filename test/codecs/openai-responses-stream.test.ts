import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openaiResponsesCodec as codec } from '../../src/codecs/openai-responses/index.js';
import { GatewayError, type StreamPart } from '../../src/spec/index.js';

type Event = { event: string; data: Record<string, unknown> };

/** Splits SSE text into events, checking that each `event:` line names the payload's type. */
function parse(text: string): Event[] {
  const events: Event[] = [];
  for (const frame of text.split('\n\n')) {
    if (frame.trim() === '') continue;
    const lines = frame.split('\n');
    assert.match(lines[0]!, /^event: /);
    assert.match(lines[1]!, /^data: /);
    const event = { event: lines[0]!.slice(7), data: JSON.parse(lines[1]!.slice(6)) as Record<string, unknown> };
    assert.equal(event.data.type, event.event);
    events.push(event);
  }
  return events;
}

function encodeAll(parts: StreamPart[]): Event[] {
  const encoder = codec.createStreamEncoder({ model: 'shown-model', id: 'chatcmpl-req42', created: 1_700_000_000, includeUsage: false });
  let text = '';
  for (const part of parts) text += encoder.encode(part);
  text += encoder.end();
  const events = parse(text);
  assert.deepEqual(events.map((event) => event.data.sequence_number), events.map((_, index) => index), 'sequence numbers count up from 0 without gaps');
  return events;
}

const START: StreamPart = { type: 'start', id: 'upstream-id', model: 'upstream-model', created: 1 };

describe('openai-responses stream encoder', () => {
  test('text: lifecycle, one message item, deltas, done events and the completed response with usage', () => {
    const events = encodeAll([
      START,
      { type: 'text-delta', choice: 0, text: 'Hello ' },
      { type: 'text-delta', choice: 0, text: 'world' },
      { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 2, cachedInputTokens: 3 } },
    ]);
    assert.deepEqual(events.map((event) => event.event), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const created = events[0]!.data.response as Record<string, unknown>;
    assert.equal(created.id, 'resp_req42');
    assert.equal(created.status, 'in_progress');
    assert.equal(created.model, 'shown-model');
    assert.deepEqual(created.output, []);
    const added = events[2]!.data;
    assert.equal(added.output_index, 0);
    const itemId = (added.item as { id: string }).id;
    assert.match(itemId, /^msg_/);
    assert.deepEqual([events[4]!.data.delta, events[4]!.data.item_id, events[4]!.data.content_index], ['Hello ', itemId, 0]);
    assert.equal(events[6]!.data.text, 'Hello world');
    const completed = events[9]!.data.response as { status: string; output: unknown[]; usage: unknown };
    assert.equal(completed.status, 'completed');
    assert.deepEqual(completed.output, [{ id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello world', annotations: [], logprobs: [] }] }]);
    assert.deepEqual(completed.usage, { input_tokens: 10, input_tokens_details: { cached_tokens: 3 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 });
  });

  test('reasoning then two parallel function calls with interleaved argument deltas', () => {
    const events = encodeAll([
      START,
      { type: 'reasoning-delta', choice: 0, text: 'Think' },
      { type: 'reasoning-delta', choice: 0, text: 'ing.', signature: 'sig-1' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'call_a', name: 'shell' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"cmd":' },
      { type: 'tool-call-start', choice: 0, index: 1, id: 'call_b', name: 'read' },
      { type: 'tool-call-delta', choice: 0, index: 1, argumentsDelta: '{}' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"ls"}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 9, reasoningTokens: 4 } },
    ]);
    assert.deepEqual(events.map((event) => event.event), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.deepEqual(events[13]!.data.output_index, 1, 'the late delta goes to the first call');
    assert.equal(events[14]!.data.arguments, '{"cmd":"ls"}');
    const completed = events[18]!.data.response as { output: Record<string, unknown>[]; usage: { output_tokens_details: unknown } };
    assert.deepEqual(completed.output.map((item) => item.type), ['reasoning', 'function_call', 'function_call']);
    assert.deepEqual(completed.output[0]!.summary, [{ type: 'summary_text', text: 'Thinking.' }]);
    assert.equal(completed.output[0]!.encrypted_content, 'sig-1');
    assert.deepEqual(
      completed.output.slice(1).map((item) => [item.call_id, item.name, item.arguments, item.status]),
      [['call_a', 'shell', '{"cmd":"ls"}', 'completed'], ['call_b', 'read', '{}', 'completed']],
    );
    assert.deepEqual(completed.usage.output_tokens_details, { reasoning_tokens: 4 });
  });

  test('a length stop ends with response.incomplete and an incomplete message', () => {
    const events = encodeAll([START, { type: 'text-delta', choice: 0, text: 'Once' }, { type: 'finish', choice: 0, finishReason: { unified: 'length', raw: 'length' } }]);
    const last = events[events.length - 1]!;
    assert.equal(last.event, 'response.incomplete');
    const response = last.data.response as { status: string; incomplete_details: unknown; output: { status: string }[]; usage: unknown };
    assert.equal(response.status, 'incomplete');
    assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(response.output[0]!.status, 'incomplete');
    assert.equal(response.usage, null, 'no usage was reported');
  });

  test('an error mid-stream: an `error` event, then response.failed with the output so far; nothing after', () => {
    const encoder = codec.createStreamEncoder({ model: 'm', id: 'chatcmpl-x', created: 1, includeUsage: true });
    let text = encoder.encode(START) + encoder.encode({ type: 'text-delta', choice: 0, text: 'Par' });
    text += encoder.encode({ type: 'error', error: new GatewayError('upstream_stream_error', 'The upstream stream broke.') });
    assert.equal(encoder.encode({ type: 'text-delta', choice: 0, text: 'tial' }), '');
    assert.equal(encoder.end(), '');
    const events = parse(text);
    assert.deepEqual(events.slice(-2).map((event) => event.event), ['error', 'response.failed']);
    assert.deepEqual(events[events.length - 2]!.data, { type: 'error', code: 'upstream_stream_error', message: 'The upstream stream broke.', param: null, sequence_number: events.length - 2 });
    const failed = events[events.length - 1]!.data.response as { status: string; error: unknown; output: unknown[] };
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.error, { code: 'server_error', message: 'The upstream stream broke.' });
    assert.equal(failed.output.length, 1);
  });

  test('choices other than 0 are not shown; an empty stream still completes', () => {
    const events = encodeAll([START, { type: 'text-delta', choice: 1, text: 'other' }, { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } }]);
    assert.deepEqual(events.map((event) => event.event), ['response.created', 'response.in_progress', 'response.completed']);
  });
});

/** An OpenAI stream as documented (https://platform.openai.com/docs/api-reference/responses-streaming), trimmed to the fields that matter. */
const OPENAI_STREAM: { event: string; data: Record<string, unknown> }[] = [
  { event: 'response.created', data: { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', created_at: 1741290958, status: 'in_progress', model: 'gpt-5', output: [] } } },
  { event: 'response.in_progress', data: { type: 'response.in_progress', sequence_number: 1, response: { id: 'resp_1', status: 'in_progress', output: [] } } },
  { event: 'response.output_item.added', data: { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } } },
  { event: 'response.reasoning_summary_part.added', data: { type: 'response.reasoning_summary_part.added', sequence_number: 3, item_id: 'rs_1', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '' } } },
  { event: 'response.reasoning_summary_text.delta', data: { type: 'response.reasoning_summary_text.delta', sequence_number: 4, item_id: 'rs_1', output_index: 0, summary_index: 0, delta: 'Plan.' } },
  { event: 'response.output_item.done', data: { type: 'response.output_item.done', sequence_number: 5, output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan.' }], encrypted_content: 'gAAAA-enc' } } },
  { event: 'response.output_item.added', data: { type: 'response.output_item.added', sequence_number: 6, output_index: 1, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } } },
  { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', sequence_number: 7, item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'Hi', logprobs: [] } },
  { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', sequence_number: 8, item_id: 'msg_1', output_index: 1, content_index: 0, delta: ' there', logprobs: [] } },
  { event: 'response.output_item.added', data: { type: 'response.output_item.added', sequence_number: 9, output_index: 2, item: { id: 'fc_1', type: 'function_call', status: 'in_progress', call_id: 'call_9', name: 'get_weather', arguments: '' } } },
  { event: 'response.function_call_arguments.delta', data: { type: 'response.function_call_arguments.delta', sequence_number: 10, item_id: 'fc_1', output_index: 2, delta: '{"city":' } },
  { event: 'response.function_call_arguments.delta', data: { type: 'response.function_call_arguments.delta', sequence_number: 11, item_id: 'fc_1', output_index: 2, delta: '"Oslo"}' } },
  { event: 'response.function_call_arguments.done', data: { type: 'response.function_call_arguments.done', sequence_number: 12, item_id: 'fc_1', output_index: 2, arguments: '{"city":"Oslo"}' } },
  {
    event: 'response.completed',
    data: { type: 'response.completed', sequence_number: 13, response: { id: 'resp_1', status: 'completed', output: [], usage: { input_tokens: 20, input_tokens_details: { cached_tokens: 0 }, output_tokens: 15, output_tokens_details: { reasoning_tokens: 6 }, total_tokens: 35 } } },
  },
];

describe('openai-responses stream decoder', () => {
  test('an OpenAI stream → start, reasoning, text, tool call, finish and usage parts', () => {
    const decoder = codec.createStreamDecoder();
    const parts = OPENAI_STREAM.flatMap((event) => decoder.decode({ event: event.event, data: JSON.stringify(event.data) }));
    assert.deepEqual(decoder.end(), []);
    assert.deepEqual(parts, [
      { type: 'start', id: 'resp_1', model: 'gpt-5', created: 1741290958 },
      { type: 'reasoning-delta', choice: 0, text: 'Plan.' },
      { type: 'reasoning-delta', choice: 0, text: '', signature: 'gAAAA-enc' },
      { type: 'text-delta', choice: 0, text: 'Hi' },
      { type: 'text-delta', choice: 0, text: ' there' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'call_9', name: 'get_weather' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"Oslo"}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'completed' } },
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 15, cachedInputTokens: 0, reasoningTokens: 6 } },
    ]);
  });

  test('our encoder → decoder gives back the parts (text, tool call, finish, usage)', () => {
    const source: StreamPart[] = [
      START,
      { type: 'text-delta', choice: 0, text: 'Calling.' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'call_1', name: 'f' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"a":1}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
      { type: 'usage', usage: { inputTokens: 4, outputTokens: 6 } },
    ];
    const decoder = codec.createStreamDecoder();
    const parts = encodeAll(source).flatMap((event) => decoder.decode({ event: event.event, data: JSON.stringify(event.data) }));
    assert.deepEqual(parts.map((part) => part.type), ['start', 'text-delta', 'tool-call-start', 'tool-call-delta', 'finish', 'usage']);
    assert.deepEqual(parts[3], source[3]);
    assert.equal(parts[4]!.type === 'finish' && parts[4].finishReason.unified, 'tool-calls');
    assert.deepEqual(parts[5], { type: 'usage', usage: { inputTokens: 4, outputTokens: 6, cachedInputTokens: 0, reasoningTokens: 0 } });
  });

  test('errors: `error` and `response.failed` events, broken JSON, and a stream that stops early', () => {
    const failed = codec.createStreamDecoder().decode({ data: JSON.stringify({ type: 'response.failed', sequence_number: 3, response: { status: 'failed', error: { code: 'server_error', message: 'Model crashed' } } }) });
    assert.equal(failed[0]!.type === 'error' && failed[0].error.message, 'Model crashed');
    const errorEvent = codec.createStreamDecoder().decode({ event: 'error', data: JSON.stringify({ type: 'error', code: 'rate_limit_exceeded', message: 'Too fast', param: null, sequence_number: 1 }) });
    assert.equal(errorEvent[0]!.type === 'error' && errorEvent[0].error.code, 'upstream_stream_error');
    const broken = codec.createStreamDecoder().decode({ data: '{not json' });
    assert.equal(broken[0]!.type, 'error');
    const early = codec.createStreamDecoder();
    early.decode({ data: JSON.stringify(OPENAI_STREAM[0]!.data) });
    const ending = early.end();
    assert.equal(ending.length, 1);
    assert.equal(ending[0]!.type === 'error' && ending[0].error.code, 'upstream_stream_error');
  });

  test('arguments sent only whole in the .done event still arrive once', () => {
    const decoder = codec.createStreamDecoder();
    const parts = [
      { type: 'response.output_item.added', output_index: 0, item: { type: 'function_call', call_id: 'c', name: 'f', arguments: '' } },
      { type: 'response.function_call_arguments.done', output_index: 0, arguments: '{"x":2}' },
      { type: 'response.output_item.done', output_index: 0, item: { type: 'function_call', call_id: 'c', name: 'f', arguments: '{"x":2}' } },
    ].flatMap((data) => decoder.decode({ data: JSON.stringify(data) }));
    assert.deepEqual(parts.filter((part) => part.type === 'tool-call-delta'), [{ type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"x":2}' }]);
  });
});
