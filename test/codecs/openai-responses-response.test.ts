import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openaiResponsesCodec as codec } from '../../src/codecs/openai-responses/index.js';
import { GatewayError, type ChatResponse } from '../../src/spec/index.js';
import { upstreamError } from '../../src/providers/upstream-error.js';

const TOOL_TURN: ChatResponse = {
  id: 'msg_01XYZ',
  model: 'claude-sonnet-4-5',
  created: 1_700_000_000,
  choices: [
    {
      index: 0,
      content: [
        { type: 'reasoning', text: 'Need the weather.', signature: 'sig-abc' },
        { type: 'text', text: 'Let me check.' },
      ],
      toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      finishReason: { unified: 'tool-calls', raw: 'tool_use' },
    },
  ],
  usage: { inputTokens: 120, outputTokens: 40, cachedInputTokens: 100, reasoningTokens: 12 },
};

describe('openai-responses encodeResponse', () => {
  test('reasoning, message and function_call items in order, with usage details', () => {
    const body = codec.encodeResponse(TOOL_TURN, 'claude/claude-sonnet-4-5') as Record<string, unknown>;
    assert.equal(body.id, 'resp_msg_01XYZ');
    assert.equal(body.object, 'response');
    assert.equal(body.created_at, 1_700_000_000);
    assert.equal(body.status, 'completed');
    assert.equal(body.incomplete_details, null);
    assert.equal(body.error, null);
    assert.equal(body.model, 'claude/claude-sonnet-4-5');
    assert.deepEqual(body.output, [
      { id: 'rs_msg_01XYZ_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Need the weather.' }], encrypted_content: 'sig-abc' },
      { id: 'msg_msg_01XYZ_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check.', annotations: [], logprobs: [] }] },
      { id: 'fc_msg_01XYZ_2', type: 'function_call', status: 'completed', arguments: '{"city":"Paris"}', call_id: 'toolu_1', name: 'get_weather' },
    ]);
    assert.deepEqual(body.usage, { input_tokens: 120, input_tokens_details: { cached_tokens: 100 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 160 });
  });

  test('a length stop is an incomplete response; a content filter too; unknown usage is written as 0', () => {
    const truncated: ChatResponse = {
      id: 'chatcmpl-9',
      model: 'm',
      created: 1,
      choices: [{ index: 0, content: [{ type: 'text', text: 'Once upon' }], toolCalls: [], finishReason: { unified: 'length', raw: 'length' } }],
      usage: { inputTokens: undefined, outputTokens: 5 },
    };
    const body = codec.encodeResponse(truncated, 'm') as { id: string; status: string; incomplete_details: unknown; output: { status: string }[]; usage: Record<string, unknown> };
    assert.equal(body.id, 'resp_9');
    assert.equal(body.status, 'incomplete');
    assert.deepEqual(body.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(body.output[0]!.status, 'incomplete');
    assert.equal(body.usage.input_tokens, 0);
    assert.equal(body.usage.total_tokens, 5);
    const filtered = codec.encodeResponse({ ...truncated, choices: [{ ...truncated.choices[0]!, finishReason: { unified: 'content-filter', raw: 'content_filter' } }] }, 'm') as { incomplete_details: unknown };
    assert.deepEqual(filtered.incomplete_details, { reason: 'content_filter' });
  });

  test('a refusal is a refusal content part', () => {
    const body = codec.encodeResponse({ ...TOOL_TURN, choices: [{ index: 0, content: [], toolCalls: [], refusal: 'I cannot help with that.', finishReason: { unified: 'stop', raw: 'stop' } }] }, 'm') as { output: { content: unknown[] }[] };
    assert.deepEqual(body.output[0]!.content, [{ type: 'refusal', refusal: 'I cannot help with that.' }]);
  });
});

describe('openai-responses decodeResponse', () => {
  test('an OpenAI response body (as documented) → spec response', () => {
    const response = codec.decodeResponse({
      id: 'resp_67ccd2bed1ec8190b14f964abc054267',
      object: 'response',
      created_at: 1741476542,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'gpt-5-2025-08-07',
      output: [
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Thinking.' }], encrypted_content: 'enc-1' },
        { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'In a peaceful grove…', annotations: [] }] },
      ],
      usage: { input_tokens: 36, input_tokens_details: { cached_tokens: 4 }, output_tokens: 87, output_tokens_details: { reasoning_tokens: 20 }, total_tokens: 123 },
    });
    assert.equal(response.id, 'resp_67ccd2bed1ec8190b14f964abc054267');
    assert.equal(response.model, 'gpt-5-2025-08-07');
    assert.equal(response.created, 1741476542);
    assert.deepEqual(response.choices[0]!.content, [
      { type: 'reasoning', text: 'Thinking.', signature: 'enc-1' },
      { type: 'text', text: 'In a peaceful grove…' },
    ]);
    assert.deepEqual(response.choices[0]!.finishReason, { unified: 'stop', raw: 'completed' });
    assert.deepEqual(response.usage, { inputTokens: 36, outputTokens: 87, cachedInputTokens: 4, reasoningTokens: 20 });
  });

  test('function calls give tool-calls; incomplete gives length; failed and malformed bodies are errors', () => {
    const withCall = codec.decodeResponse({ id: 'resp_1', status: 'completed', output: [{ type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{}', status: 'completed' }] });
    assert.deepEqual(withCall.choices[0]!.toolCalls, [{ id: 'call_1', name: 'f', arguments: '{}' }]);
    assert.equal(withCall.choices[0]!.finishReason.unified, 'tool-calls');
    const incomplete = codec.decodeResponse({ id: 'resp_2', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [] });
    assert.deepEqual(incomplete.choices[0]!.finishReason, { unified: 'length', raw: 'max_output_tokens' });
    assert.deepEqual(incomplete.usage, { inputTokens: undefined, outputTokens: undefined });
    assert.throws(() => codec.decodeResponse({ id: 'resp_3', status: 'failed', error: { code: 'server_error', message: 'boom' }, output: [] }), (error: unknown) => GatewayError.is(error) && error.code === 'upstream_error' && error.message === 'boom');
    assert.throws(() => codec.decodeResponse({ choices: [] }), (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response');
  });

  test('encode → decode keeps content, tool calls, finish and usage', () => {
    const again = codec.decodeResponse(codec.encodeResponse(TOOL_TURN, 'm'));
    assert.deepEqual(again.choices[0]!.content, TOOL_TURN.choices[0]!.content);
    assert.deepEqual(again.choices[0]!.toolCalls, TOOL_TURN.choices[0]!.toolCalls);
    assert.equal(again.choices[0]!.finishReason.unified, 'tool-calls');
    assert.deepEqual(again.usage, TOOL_TURN.usage);
  });

  test('errors: OpenAI envelope both ways', () => {
    const error = upstreamError(codec, 429, JSON.stringify({ error: { message: 'Slow down', type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null } }), { 'retry-after': '2' });
    assert.equal(error.code, 'upstream_rate_limited');
    assert.equal(error.retryAfterMs, 2000);
    assert.deepEqual(codec.encodeError(new GatewayError('unsupported_parameter', 'No state.', { param: 'previous_response_id' })), {
      error: { message: 'No state.', type: 'invalid_request_error', code: 'unsupported_parameter', param: 'previous_response_id' },
    });
  });
});
