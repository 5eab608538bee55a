import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bedrockConverseCodec as codec } from '../../src/codecs/bedrock-converse/index.js';
import { upstreamError } from '../../src/providers/upstream-error.js';

describe('Bedrock Converse responses', () => {
  test('text, signed reasoning and tool use; usage adds the cache counters back into inputTokens', () => {
    const response = codec.decodeResponse({
      output: {
        message: {
          role: 'assistant',
          content: [{ reasoningContent: { reasoningText: { text: 'thinking', signature: 'sig' } } }, { text: 'Calling.' }, { toolUse: { toolUseId: 'tooluse_9', name: 'lookup', input: { q: 'x' } } }],
        },
      },
      stopReason: 'tool_use',
      usage: { inputTokens: 200, outputTokens: 30, totalTokens: 1430, cacheReadInputTokens: 1000, cacheWriteInputTokens: 200 },
      metrics: { latencyMs: 321 },
    });
    const choice = response.choices[0]!;
    assert.deepEqual(choice.content, [{ type: 'reasoning', text: 'thinking', signature: 'sig' }, { type: 'text', text: 'Calling.' }]);
    assert.deepEqual(choice.toolCalls, [{ id: 'tooluse_9', name: 'lookup', arguments: '{"q":"x"}' }]);
    assert.deepEqual(choice.finishReason, { unified: 'tool-calls', raw: 'tool_use' });
    assert.deepEqual(response.usage, { inputTokens: 1400, outputTokens: 30, cachedInputTokens: 1000, cacheWriteTokens: 200 });
  });

  test('every documented stop reason maps to a unified one', () => {
    const expected: Record<string, string> = {
      end_turn: 'stop',
      stop_sequence: 'stop',
      max_tokens: 'length',
      model_context_window_exceeded: 'length',
      tool_use: 'tool-calls',
      guardrail_intervened: 'content-filter',
      content_filtered: 'content-filter',
      malformed_tool_use: 'error',
      something_new: 'other',
    };
    for (const [raw, unified] of Object.entries(expected)) {
      const response = codec.decodeResponse({ output: { message: { role: 'assistant', content: [] } }, stopReason: raw, usage: { inputTokens: 1, outputTokens: 0, totalTokens: 1 } });
      assert.deepEqual(response.choices[0]!.finishReason, { unified, raw }, raw);
    }
  });

  test('a body without output.message is an invalid upstream response (retryable)', () => {
    assert.throws(
      () => codec.decodeResponse({ stopReason: 'end_turn' }),
      (error: unknown) => (error as { code?: string; retryable?: boolean }).code === 'upstream_invalid_response' && (error as { retryable: boolean }).retryable,
    );
  });
});

describe('Bedrock errors', () => {
  const errorType = (name: string) => ({ 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/` });

  test('the exception name comes from x-amzn-ErrorType, the message from the body', () => {
    const error = upstreamError(codec, 400, '{"message":"The model returned the following errors: max_tokens: field required"}', errorType('ValidationException'));
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.status, 400);
    assert.equal(error.retryable, false);
    assert.equal(error.message, 'Bedrock ValidationException: The model returned the following errors: max_tokens: field required');
  });

  test('statuses: 429 rate limit, 403 credentials, 408/424/5xx retryable, 404 kept', () => {
    const throttled = upstreamError(codec, 429, '{"message":"Too many requests, please wait before trying again."}', { ...errorType('ThrottlingException'), 'retry-after': '3' });
    assert.equal(throttled.code, 'upstream_rate_limited');
    assert.equal(throttled.retryAfterMs, 3000);
    assert.equal(upstreamError(codec, 403, '{"message":"The security token included in the request is invalid."}', errorType('UnrecognizedClientException')).code, 'upstream_auth_failed');
    for (const status of [408, 424, 500, 503]) assert.equal(upstreamError(codec, status, '{"message":"x"}', {}).retryable, true, String(status));
    const missing = upstreamError(codec, 404, '{"message":"Could not resolve the foundation model"}', errorType('ResourceNotFoundException'));
    assert.equal(missing.status, 404);
    assert.match(missing.message, /ResourceNotFoundException/);
  });

  test('a body that is not JSON keeps an excerpt; __type names the exception when the header is missing', () => {
    assert.equal(upstreamError(codec, 502, '<html>Bad gateway</html>', {}).message, 'Bedrock HTTP 502: <html>Bad gateway</html>');
    assert.equal(upstreamError(codec, 400, '{"__type":"com.amazon.coral.validate#ValidationException","Message":"bad"}', {}).message, 'Bedrock ValidationException: bad');
  });
});
