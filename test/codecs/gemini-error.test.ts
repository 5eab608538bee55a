import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { geminiCodec } from '../../src/codecs/gemini/index.js';
import { GatewayError } from '../../src/spec/index.js';
import { upstreamError } from '../../src/providers/upstream-error.js';

function envelope(code: number, status: string, message: string, details?: unknown[]): string {
  return JSON.stringify({ error: { code, message, status, ...(details ? { details } : {}) } });
}

describe('gemini errors through the upstream-error mapper', () => {
  test('429 → upstream_rate_limited, retryable, delay from google.rpc.RetryInfo', () => {
    const body = envelope(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota.', [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '34.4s' },
    ]);
    const error = upstreamError(geminiCodec, 429, body, {});
    assert.equal(error.code, 'upstream_rate_limited');
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterMs, 34_400);
    assert.equal(error.upstreamStatus, 429);
    assert.match(error.message, /You exceeded your current quota\./);
    assert.match(error.message, /RESOURCE_EXHAUSTED/);
  });

  test('429 without RetryInfo falls back to Retry-After', () => {
    assert.equal(upstreamError(geminiCodec, 429, envelope(429, 'RESOURCE_EXHAUSTED', 'slow'), { 'retry-after': '12' }).retryAfterMs, 12_000);
  });

  test('401/403 and API_KEY_INVALID → upstream_auth_failed', () => {
    assert.equal(upstreamError(geminiCodec, 403, envelope(403, 'PERMISSION_DENIED', 'denied'), {}).code, 'upstream_auth_failed');
    assert.equal(upstreamError(geminiCodec, 401, envelope(401, 'UNAUTHENTICATED', 'who'), {}).code, 'upstream_auth_failed');
    const invalidKey = envelope(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
    ]);
    const error = upstreamError(geminiCodec, 400, invalidKey, {});
    assert.equal(error.code, 'upstream_auth_failed');
    assert.equal(error.upstreamStatus, 400);
  });

  test('5xx → retryable upstream_error keeping the status; other 4xx keep their status and are final', () => {
    const unavailable = upstreamError(geminiCodec, 503, envelope(503, 'UNAVAILABLE', 'The model is overloaded.'), {});
    assert.deepEqual([unavailable.code, unavailable.status, unavailable.retryable, unavailable.upstreamStatus], ['upstream_error', 503, true, 503]);
    const invalid = upstreamError(geminiCodec, 400, envelope(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified'), {});
    assert.deepEqual([invalid.code, invalid.status, invalid.retryable], ['upstream_error', 400, false]);
    assert.match(invalid.message, /contents is not specified/);
  });

  test('non-JSON and array-wrapped bodies are tolerated; keys never reach the message', () => {
    const html = upstreamError(geminiCodec, 502, '<html>Bad Gateway</html>', {});
    assert.equal(html.code, 'upstream_error');
    assert.match(html.message, /Bad Gateway/);
    const wrapped = upstreamError(geminiCodec, 404, `[${envelope(404, 'NOT_FOUND', 'models/nope is not found')}]`, {});
    assert.match(wrapped.message, /models\/nope is not found/);
    const fakeKey = `AIza${'x'.repeat(35)}`;
    const leaked = upstreamError(geminiCodec, 400, envelope(400, 'INVALID_ARGUMENT', `bad request for https://host/v1beta/models/m?key=${fakeKey}`), {});
    assert.ok(!leaked.message.includes(fakeKey), leaked.message);
  });
});

describe('gemini encodeError', () => {
  test('Google envelope with the gRPC status word, our code as ErrorInfo and RetryInfo', () => {
    const error = new GatewayError('rate_limit_exceeded', 'Too many requests for this key.', { retryAfterMs: 2500 });
    assert.deepEqual(geminiCodec.encodeError(error), {
      error: {
        code: 429,
        message: 'Too many requests for this key.',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'rate_limit_exceeded', domain: 'tollgate' },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' },
        ],
      },
    });
    const invalid = geminiCodec.encodeError(new GatewayError('invalid_request', 'bad', { param: 'contents' })) as { error: { status: string; details: { metadata?: unknown }[] } };
    assert.equal(invalid.error.status, 'INVALID_ARGUMENT');
    assert.deepEqual(invalid.error.details[0]!.metadata, { param: 'contents' });
    assert.equal((geminiCodec.encodeError(new GatewayError('invalid_api_key', 'no key')) as { error: { status: string } }).error.status, 'UNAUTHENTICATED');
  });
});
