import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anthropicMessagesCodec as codec } from '../../src/codecs/anthropic-messages/index.js';
import type { ChatResponse } from '../../src/spec/index.js';

const message = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'thinking', thinking: 'Weather needs a tool.', signature: 'sig-x' },
    { type: 'redacted_thinking', data: 'opaque-data' },
    { type: 'text', text: 'Let me check.' },
    { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: {
    input_tokens: 50,
    cache_read_input_tokens: 1000,
    cache_creation_input_tokens: 300,
    cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
    output_tokens: 40,
    output_tokens_details: { thinking_tokens: 12 },
  },
};

describe('anthropic responses', () => {
  test('decodes content blocks, stop reason and usage', () => {
    const response = codec.decodeResponse(message);
    assert.equal(response.id, 'msg_01XFDUDYJgAACzvnptvVoYEL');
    assert.equal(response.model, 'claude-sonnet-4-5-20250929');
    const choice = response.choices[0]!;
    assert.deepEqual(choice.content, [
      { type: 'reasoning', text: 'Weather needs a tool.', signature: 'sig-x' },
      { type: 'redacted-reasoning', data: 'opaque-data' },
      { type: 'text', text: 'Let me check.' },
    ]);
    assert.deepEqual(choice.toolCalls, [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    assert.deepEqual(choice.finishReason, { unified: 'tool-calls', raw: 'tool_use' });
  });

  test('usage: input_tokens excludes cache reads and writes, the spec includes them', () => {
    const usage = codec.decodeResponse(message).usage;
    assert.deepEqual(usage, { inputTokens: 1350, outputTokens: 40, cachedInputTokens: 1000, cacheWriteTokens: 300, cacheWrite1hTokens: 200, reasoningTokens: 12 });
  });

  test('usage: unknown stays undefined', () => {
    const usage = codec.decodeResponse({ ...message, usage: { output_tokens: 3 } }).usage;
    assert.deepEqual(usage, { inputTokens: undefined, outputTokens: 3 });
    const nulls = codec.decodeResponse({ ...message, usage: { input_tokens: 9, output_tokens: 3, cache_read_input_tokens: null, cache_creation_input_tokens: null, cache_creation: null } }).usage;
    assert.deepEqual(nulls, { inputTokens: 9, outputTokens: 3 });
  });

  test('stop reasons map to unified finish reasons and back', () => {
    const expected: Record<string, string> = {
      end_turn: 'stop',
      stop_sequence: 'stop',
      max_tokens: 'length',
      model_context_window_exceeded: 'length',
      tool_use: 'tool-calls',
      refusal: 'content-filter',
      pause_turn: 'other',
      something_new: 'other',
    };
    for (const [raw, unified] of Object.entries(expected)) {
      const decoded = codec.decodeResponse({ ...message, stop_reason: raw });
      assert.deepEqual(decoded.choices[0]!.finishReason, { unified, raw }, raw);
      const encoded = codec.encodeResponse(decoded, 'claude') as { stop_reason: string };
      assert.equal(encoded.stop_reason, raw === 'something_new' ? 'end_turn' : raw, raw);
    }
  });

  test('encodeResponse is the inverse of decodeResponse', () => {
    const decoded = codec.decodeResponse(message);
    const encoded = codec.encodeResponse(decoded, 'my-route') as Record<string, unknown>;
    assert.equal(encoded.type, 'message');
    assert.equal(encoded.role, 'assistant');
    assert.equal(encoded.model, 'my-route');
    assert.deepEqual(encoded.content, message.content.slice(0, 4));
    assert.deepEqual(encoded.usage, { ...message.usage });
    assert.deepEqual(codec.decodeResponse(encoded).usage, decoded.usage);
  });

  test('encodeResponse from another dialect: finish reasons, unknown usage, non-JSON arguments', () => {
    const response: ChatResponse = {
      id: 'chatcmpl-1',
      model: 'gpt-4o',
      created: 1,
      choices: [{ index: 0, content: [{ type: 'text', text: 'cut' }], toolCalls: [{ id: 'c', name: 'f', arguments: 'not json' }], finishReason: { unified: 'length', raw: 'length' } }],
      usage: { inputTokens: 100, outputTokens: undefined, cachedInputTokens: 60 },
    };
    const encoded = codec.encodeResponse(response, 'route') as Record<string, unknown>;
    assert.equal(encoded.stop_reason, 'max_tokens');
    assert.deepEqual(encoded.usage, { input_tokens: 40, output_tokens: 0, cache_read_input_tokens: 60, cache_creation_input_tokens: null });
    assert.deepEqual((encoded.content as unknown[])[1], { type: 'tool_use', id: 'c', name: 'f', input: { _raw_arguments: 'not json' } });
  });

  test('a body that is not a Message is an invalid upstream response', () => {
    assert.throws(() => codec.decodeResponse({ id: 'x', content: 'text' }), { code: 'upstream_invalid_response' });
    assert.throws(() => codec.decodeResponse('nope'), { code: 'upstream_invalid_response' });
  });
});
