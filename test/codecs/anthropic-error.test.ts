import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anthropicMessagesCodec as codec } from '../../src/codecs/anthropic-messages/index.js';
import { GatewayError } from '../../src/spec/index.js';
import { upstreamError } from '../../src/providers/upstream-error.js';

function envelope(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' });
}

describe('anthropic errors through the upstream-error mapper', () => {
  test('429 is a retryable rate limit honouring retry-after', () => {
    const error = upstreamError(codec, 429, envelope('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'), { 'retry-after': '7' });
    assert.equal(error.code, 'upstream_rate_limited');
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterMs, 7000);
    assert.equal(error.upstreamStatus, 429);
    assert.match(error.message, /per-minute rate limit/);
  });

  test('529 overloaded and 5xx are retryable upstream errors keeping the status', () => {
    const overloaded = upstreamError(codec, 529, envelope('overloaded_error', 'Overloaded'), {});
    assert.equal(overloaded.code, 'upstream_error');
    assert.equal(overloaded.retryable, true);
    assert.equal(overloaded.status, 529);
    assert.equal(overloaded.upstreamStatus, 529);
    assert.match(overloaded.message, /overloaded_error: Overloaded/);
    const internal = upstreamError(codec, 500, envelope('api_error', 'Internal server error'), {});
    assert.equal(internal.code, 'upstream_error');
    assert.equal(internal.status, 500);
    assert.equal(internal.retryable, true);
  });

  test('401 and 403 mean the provider key is refused', () => {
    for (const status of [401, 403]) {
      const error = upstreamError(codec, status, envelope(status === 401 ? 'authentication_error' : 'permission_error', 'invalid x-api-key'), {});
      assert.equal(error.code, 'upstream_auth_failed');
      assert.equal(error.retryable, false);
      assert.equal(error.upstreamStatus, status);
    }
  });

  test('other 4xx keep their status and message and are not retried', () => {
    const error = upstreamError(codec, 400, envelope('invalid_request_error', 'messages: roles must alternate'), {});
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.status, 400);
    assert.equal(error.retryable, false);
    assert.match(error.message, /roles must alternate/);
    const tooLarge = upstreamError(codec, 413, envelope('request_too_large', 'Request exceeds the maximum allowed number of bytes.'), {});
    assert.equal(tooLarge.status, 413);
  });

  test('a body that is not Anthropic JSON still yields a message', () => {
    const error = upstreamError(codec, 502, '<html>Bad Gateway</html>', {});
    assert.equal(error.code, 'upstream_error');
    assert.match(error.message, /Bad Gateway/);
    assert.match(upstreamError(codec, 503, '', {}).message, /HTTP 503/);
  });

  test('retry-after as an HTTP date', () => {
    const later = new Date(Date.now() + 60_000).toUTCString();
    const error = upstreamError(codec, 429, envelope('rate_limit_error', 'slow down'), { 'retry-after': later });
    assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 50_000 && error.retryAfterMs <= 60_000, String(error.retryAfterMs));
  });
});

describe('anthropic encodeError', () => {
  const cases: [GatewayError, string][] = [
    [new GatewayError('invalid_request', 'max_tokens is required.', { param: 'max_tokens' }), 'invalid_request_error'],
    [new GatewayError('invalid_api_key', 'No virtual key.'), 'authentication_error'],
    [new GatewayError('budget_exceeded', 'Budget spent.'), 'billing_error'],
    [new GatewayError('model_not_allowed', 'Not for you.'), 'permission_error'],
    [new GatewayError('model_not_found', 'No such model.'), 'not_found_error'],
    [new GatewayError('body_too_large', 'Too big.'), 'request_too_large'],
    [new GatewayError('rate_limit_exceeded', 'Slow down.'), 'rate_limit_error'],
    [new GatewayError('upstream_error', 'Overloaded', { status: 529 }), 'overloaded_error'],
    [new GatewayError('no_target_available', 'Nothing up.'), 'overloaded_error'],
    [new GatewayError('upstream_timeout', 'Too slow.'), 'timeout_error'],
    [new GatewayError('internal_error', 'Bug.'), 'api_error'],
    [new GatewayError('upstream_auth_failed', 'Provider key refused.'), 'api_error'],
  ];
  for (const [error, type] of cases) {
    test(`${error.code} (${error.status}) → ${type}`, () => {
      const body = codec.encodeError(error) as { type: string; error: Record<string, unknown> };
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, type);
      assert.equal(body.error.message, error.message);
      assert.equal(body.error.code, error.code);
      assert.equal(body.error.param, error.param);
    });
  }

  test('an encoded error decodes back to the same status and message', () => {
    const original = new GatewayError('rate_limit_exceeded', 'Key limit reached.');
    const decoded = upstreamError(codec, original.status, JSON.stringify(codec.encodeError(original)), {});
    assert.equal(decoded.code, 'upstream_rate_limited');
    assert.match(decoded.message, /rate_limit_error: Key limit reached\./);
  });
});
