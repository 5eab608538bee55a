import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openaiChatCodec } from '../../src/codecs/openai-chat/index.js';
import { GatewayError, type ChatResponse } from '../../src/spec/index.js';
import { upstreamError } from '../../src/providers/upstream-error.js';

const completion = {
  id: 'chatcmpl-abc123',
  object: 'chat.completion',
  created: 1751022712,
  model: 'gpt-4o-2024-08-06',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Checking the weather.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ],
  usage: {
    prompt_tokens: 1864,
    completion_tokens: 70,
    total_tokens: 1934,
    prompt_tokens_details: { cached_tokens: 1792 },
    completion_tokens_details: { reasoning_tokens: 40 },
  },
  system_fingerprint: 'fp_f5bdcc3276',
};

describe('openai-chat responses', () => {
  test('decodeResponse maps content, tool calls, finish reason, usage and fingerprint', () => {
    const response = openaiChatCodec.decodeResponse(completion);
    assert.equal(response.id, 'chatcmpl-abc123');
    assert.equal(response.model, 'gpt-4o-2024-08-06');
    assert.equal(response.created, 1751022712);
    assert.equal(response.systemFingerprint, 'fp_f5bdcc3276');
    const choice = response.choices[0]!;
    assert.deepEqual(choice.content, [{ type: 'text', text: 'Checking the weather.' }]);
    assert.deepEqual(choice.toolCalls, [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    assert.deepEqual(choice.finishReason, { unified: 'tool-calls', raw: 'tool_calls' });
    assert.deepEqual(response.usage, { inputTokens: 1864, outputTokens: 70, cachedInputTokens: 1792, reasoningTokens: 40 });
  });

  test('decode → encode is the same chat.completion', () => {
    const encoded = openaiChatCodec.encodeResponse(openaiChatCodec.decodeResponse(completion), 'gpt-4o-2024-08-06') as Record<string, unknown>;
    assert.deepEqual(encoded, completion);
  });

  test('encodeResponse shows the given model name', () => {
    const encoded = openaiChatCodec.encodeResponse(openaiChatCodec.decodeResponse(completion), 'my-route') as { model: string };
    assert.equal(encoded.model, 'my-route');
  });

  test('unknown usage stays undefined (never 0)', () => {
    const response = openaiChatCodec.decodeResponse({ ...completion, usage: undefined });
    assert.equal(response.usage.inputTokens, undefined);
    assert.equal(response.usage.outputTokens, undefined);
    assert.equal(response.usage.cachedInputTokens, undefined);
    const partial = openaiChatCodec.decodeResponse({ ...completion, usage: { prompt_tokens: 5 } });
    assert.deepEqual(partial.usage, { inputTokens: 5, outputTokens: undefined });
  });

  test('DeepSeek prompt_cache_hit_tokens and reasoning_content are read', () => {
    const response = openaiChatCodec.decodeResponse({
      id: 'x',
      object: 'chat.completion',
      created: 1,
      model: 'deepseek-reasoner',
      choices: [{ index: 0, message: { role: 'assistant', content: '4', reasoning_content: '2+2' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 },
    });
    assert.deepEqual(response.choices[0]!.content, [{ type: 'reasoning', text: '2+2' }, { type: 'text', text: '4' }]);
    assert.equal(response.usage.cachedInputTokens, 64);
    const encoded = openaiChatCodec.encodeResponse(response, 'deepseek-reasoner') as { choices: { message: Record<string, unknown> }[] };
    assert.equal(encoded.choices[0]!.message.reasoning_content, '2+2');
    assert.equal(encoded.choices[0]!.message.content, '4');
  });

  test('refusal is kept apart from content', () => {
    const response = openaiChatCodec.decodeResponse({ ...completion, choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' }, finish_reason: 'stop' }] });
    assert.equal(response.choices[0]!.refusal, 'I cannot help with that.');
    assert.deepEqual(response.choices[0]!.content, []);
    const encoded = openaiChatCodec.encodeResponse(response, 'm') as { choices: { message: Record<string, unknown> }[] };
    assert.deepEqual(encoded.choices[0]!.message, { role: 'assistant', content: null, refusal: 'I cannot help with that.' });
  });

  test('a body without choices is an invalid upstream response', () => {
    assert.throws(() => openaiChatCodec.decodeResponse({ object: 'error' }), (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response');
  });

  test('finish reasons both ways', () => {
    const table: [string, string][] = [
      ['stop', 'stop'],
      ['length', 'length'],
      ['tool_calls', 'tool-calls'],
      ['function_call', 'tool-calls'],
      ['content_filter', 'content-filter'],
      ['insufficient_system_resource', 'other'],
    ];
    for (const [wire, unified] of table) {
      const response = openaiChatCodec.decodeResponse({ ...completion, choices: [{ index: 0, message: { content: 'x' }, finish_reason: wire }] });
      assert.equal(response.choices[0]!.finishReason.unified, unified, wire);
      const encoded = openaiChatCodec.encodeResponse(response, 'm') as { choices: { finish_reason: string }[] };
      assert.equal(encoded.choices[0]!.finish_reason, unified === 'other' ? 'stop' : wire, wire);
    }
    const fromAnthropic: ChatResponse = {
      id: 'x',
      model: 'm',
      created: 1,
      choices: [{ index: 0, content: [], toolCalls: [], finishReason: { unified: 'length', raw: 'max_tokens' } }],
      usage: { inputTokens: undefined, outputTokens: undefined },
    };
    assert.equal((openaiChatCodec.encodeResponse(fromAnthropic, 'm') as { choices: { finish_reason: string }[] }).choices[0]!.finish_reason, 'length');
  });
});

describe('openai-chat errors', () => {
  const envelope = (message: string, type = 'invalid_request_error', param: string | null = null) => JSON.stringify({ error: { message, type, param, code: null } });

  test('mapping table', () => {
    const table: { status: number; code: string; retryable: boolean; httpStatus: number }[] = [
      { status: 400, code: 'upstream_error', retryable: false, httpStatus: 400 },
      { status: 404, code: 'upstream_error', retryable: false, httpStatus: 404 },
      { status: 422, code: 'upstream_error', retryable: false, httpStatus: 422 },
      { status: 401, code: 'upstream_auth_failed', retryable: false, httpStatus: 502 },
      { status: 403, code: 'upstream_auth_failed', retryable: false, httpStatus: 502 },
      { status: 408, code: 'upstream_error', retryable: true, httpStatus: 408 },
      { status: 429, code: 'upstream_rate_limited', retryable: true, httpStatus: 429 },
      { status: 500, code: 'upstream_error', retryable: true, httpStatus: 500 },
      { status: 503, code: 'upstream_error', retryable: true, httpStatus: 503 },
    ];
    for (const row of table) {
      const error = upstreamError(openaiChatCodec, row.status, envelope(`failure ${row.status}`), {});
      assert.equal(error.code, row.code, `code for ${row.status}`);
      assert.equal(error.retryable, row.retryable, `retryable for ${row.status}`);
      assert.equal(error.status, row.httpStatus, `status for ${row.status}`);
      assert.equal(error.upstreamStatus, row.status);
      assert.equal(error.message, `failure ${row.status}`);
    }
  });

  test('the upstream param is kept', () => {
    assert.equal(upstreamError(openaiChatCodec, 400, envelope('bad', 'invalid_request_error', 'messages[1].content'), {}).param, 'messages[1].content');
  });

  test('retry-after-ms wins over retry-after; seconds and HTTP dates are read', () => {
    assert.equal(upstreamError(openaiChatCodec, 429, envelope('slow'), { 'retry-after': '7' }).retryAfterMs, 7000);
    assert.equal(upstreamError(openaiChatCodec, 429, envelope('slow'), { 'retry-after': '7', 'retry-after-ms': '1500' }).retryAfterMs, 1500);
    assert.equal(upstreamError(openaiChatCodec, 429, envelope('slow'), { 'Retry-After': ['2'] }).retryAfterMs, 2000);
    const dated = upstreamError(openaiChatCodec, 429, envelope('slow'), { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }).retryAfterMs!;
    assert.ok(dated > 50_000 && dated <= 60_000, String(dated));
    assert.equal(upstreamError(openaiChatCodec, 429, envelope('slow'), {}).retryAfterMs, undefined);
  });

  test('non-JSON and other envelopes are tolerated', () => {
    assert.match(upstreamError(openaiChatCodec, 502, '<html>Bad Gateway</html>', {}).message, /502.*Bad Gateway/);
    assert.match(upstreamError(openaiChatCodec, 500, '', {}).message, /500/);
    assert.equal(upstreamError(openaiChatCodec, 400, JSON.stringify({ error: 'model not loaded' }), {}).message, 'model not loaded');
    assert.equal(upstreamError(openaiChatCodec, 400, JSON.stringify({ detail: 'Not Found' }), {}).message, 'Not Found');
    const mistral = upstreamError(openaiChatCodec, 422, JSON.stringify({ object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'stream_options'] }] }, type: 'invalid_request_error' }), {});
    assert.match(mistral.message, /extra_forbidden/);
  });

  test('keys and bearer tokens never survive into the message', () => {
    const secret = 'sk-proj-' + 'abcdefghij'.repeat(4);
    const cases = [
      `Incorrect API key provided: ${secret}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      `Header was Authorization: Bearer ${'token'.repeat(8)}`,
      `bad api_key=${'q'.repeat(30)} given`,
      `Invalid key gsk_${'Z'.repeat(40)}`,
    ];
    for (const message of cases) {
      const error = upstreamError(openaiChatCodec, 401, envelope(message), {});
      assert.doesNotMatch(error.message, /abcdefghij|tokentoken|qqqqqqqqqq|ZZZZZZZZZZ/, error.message);
      assert.match(error.message, /redacted/);
    }
  });

  test('encodeError is OpenAI\'s envelope with our stable code', () => {
    const error = new GatewayError('invalid_request', '`model` is required.', { param: 'model' });
    assert.deepEqual(openaiChatCodec.encodeError(error), { error: { message: '`model` is required.', type: 'invalid_request_error', code: 'invalid_request', param: 'model' } });
    assert.deepEqual(openaiChatCodec.encodeError(new GatewayError('upstream_timeout', 'slow')), { error: { message: 'slow', type: 'api_error', code: 'upstream_timeout', param: null } });
  });
});
