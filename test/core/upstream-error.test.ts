import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UpstreamChatCodec } from '../../src/codecs/codec.js';
import { anthropicMessagesCodec } from '../../src/codecs/anthropic-messages/index.js';
import { bedrockConverseCodec } from '../../src/codecs/bedrock-converse/index.js';
import { geminiCodec } from '../../src/codecs/gemini/index.js';
import { openaiChatCodec } from '../../src/codecs/openai-chat/index.js';
import { openaiResponsesCodec } from '../../src/codecs/openai-responses/index.js';
import { bedrockAdapter } from '../../src/providers/bedrock/index.js';
import { geminiAdapter } from '../../src/providers/gemini/index.js';
import { openaiAdapter } from '../../src/providers/openai-compatible/index.js';
import type { ProviderKey, ProviderSettings, UpstreamHttpRequest } from '../../src/providers/provider.js';
import { attemptScrubber, scrubCredentialShapes } from '../../src/providers/secret-scrubber.js';
import { MAX_UPSTREAM_MESSAGE_CHARS, retryAfterMs, upstreamError } from '../../src/providers/upstream-error.js';
import { GatewayError } from '../../src/spec/index.js';

/** One upstream-error mapper for every provider: the same status means the same thing whatever the dialect. */

const CODECS: UpstreamChatCodec[] = [openaiChatCodec, openaiResponsesCodec, anthropicMessagesCodec, geminiCodec, bedrockConverseCodec];
const key = (value: string): ProviderKey => ({ id: 'k', value, weight: 1, models: undefined });

describe('upstream-error mapper', () => {
  test('every dialect maps statuses alike: 429, 401/403, 408/424/5xx retryable keeping the status, other 4xx final', () => {
    const table: [number, string, boolean, number][] = [
      [400, 'upstream_error', false, 400],
      [404, 'upstream_error', false, 404],
      [413, 'upstream_error', false, 413],
      [422, 'upstream_error', false, 422],
      [401, 'upstream_auth_failed', false, 502],
      [403, 'upstream_auth_failed', false, 502],
      [408, 'upstream_error', true, 408],
      [424, 'upstream_error', true, 424],
      [429, 'upstream_rate_limited', true, 429],
      [500, 'upstream_error', true, 500],
      [503, 'upstream_error', true, 503],
      [529, 'upstream_error', true, 529],
    ];
    for (const codec of CODECS) {
      for (const [status, code, retryable, httpStatus] of table) {
        const error = upstreamError(codec, status, '{}', {});
        assert.deepEqual([error.code, error.retryable, error.status, error.upstreamStatus], [code, retryable, httpStatus, status], `${codec.dialect} ${status}`);
      }
    }
  });

  test('Retry-After in seconds, as an HTTP date, and retry-after-ms, rounded up the same way for every dialect', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(retryAfterMs({ 'retry-after': '2.0004' }, now), 2001);
    assert.equal(retryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now), 30_000);
    assert.equal(retryAfterMs({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }, now), 0);
    assert.equal(retryAfterMs({ 'retry-after-ms': '1500.2', 'retry-after': '9' }, now), 1501);
    assert.equal(retryAfterMs({ 'retry-after': '-3' }, now), 0);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }, now), undefined);
    assert.equal(retryAfterMs({ 'retry-after': '' }, now), undefined);
    const later = new Date(Date.now() + 60_000).toUTCString();
    for (const codec of CODECS) {
      // Bedrock ignored the date form before; Gemini did not round.
      const dated = upstreamError(codec, 429, '{}', { 'retry-after': later }).retryAfterMs!;
      assert.ok(dated > 50_000 && dated <= 60_000, `${codec.dialect}: ${dated}`);
      assert.equal(upstreamError(codec, 503, '{}', { 'Retry-After': '0.0015' }).retryAfterMs, 2, codec.dialect);
      assert.equal(upstreamError(codec, 400, '{}', { 'retry-after': '5' }).retryAfterMs, undefined, `${codec.dialect}: a final error has no delay`);
    }
    const google = JSON.stringify({ error: { code: 503, message: 'busy', status: 'UNAVAILABLE', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.0001s' }] } });
    assert.equal(upstreamError(geminiCodec, 503, google, { 'retry-after': '9' }).retryAfterMs, 1001);
  });

  test('messages are scrubbed and capped for every dialect, JSON envelope or not', () => {
    const leaks = [`sk-ant-api03-${'q'.repeat(40)}`, `sk-proj-${'w'.repeat(40)}`, `${'AKIA'}${'T'.repeat(16)}`, `AIza${'e'.repeat(35)}`]; // made up; split for secret scanners
    const text = `refused ${leaks.join(' ')} at https://host/v1?key=${'k'.repeat(20)}&alt=sse`;
    const bodies = [
      JSON.stringify({ error: { message: text, type: 'invalid_request_error' } }),
      JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: text } }),
      JSON.stringify({ error: { code: 401, message: text, status: 'UNAUTHENTICATED' } }),
      JSON.stringify({ message: text }),
      `<html><body>${text}</body></html>`,
    ];
    for (const codec of CODECS) {
      for (const body of bodies) {
        const message = upstreamError(codec, 401, body, {}).message;
        for (const leak of [...leaks, 'kkkkkkkkkk']) assert.ok(!message.includes(leak), `${codec.dialect}: ${message}`);
        assert.match(message, /redacted/);
      }
      const long = upstreamError(codec, 400, JSON.stringify({ error: { message: 'x'.repeat(10_000), type: 't' }, message: 'x'.repeat(10_000) }), {}).message;
      assert.ok(long.length <= MAX_UPSTREAM_MESSAGE_CHARS, `${codec.dialect}: ${long.length}`);
      const html = upstreamError(codec, 502, `<html>${'y'.repeat(10_000)}</html>`, {}).message;
      assert.ok(html.length < 600, `${codec.dialect}: ${html.length}`);
    }
  });

  test('a secret straddling the excerpt\'s cut is scrubbed whole, not left half-shown', () => {
    const secret = `sess-${'Z9'.repeat(400)}`;
    const scrubber = attemptScrubber(openaiAdapter, key(secret), { url: 'https://x/v1/chat/completions', method: 'POST', headers: {} });
    const message = upstreamError(bedrockConverseCodec, 502, `<html>${'a'.repeat(450)} ${secret}</html>`, {}, scrubber).message;
    assert.ok(!message.includes('Z9Z9Z9'), message);
  });

  test('the body names the key invalid whatever the status (Gemini 400 API_KEY_INVALID)', () => {
    const body = JSON.stringify({ error: { code: 400, message: 'API key not valid.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }] } });
    const error = upstreamError(geminiCodec, 400, body, {});
    assert.equal(error.code, 'upstream_auth_failed');
    assert.equal(error.message, 'Gemini INVALID_ARGUMENT: API key not valid.');
  });
});

describe('attempt scrubber', () => {
  // One settings object for adapters whose option types differ; none of these tests reads an option.
  const settings = (headers: Record<string, string> = {}): ProviderSettings<any> => ({ name: 'p', type: 't', baseUrl: 'https://example.com/v1', headers, options: {} });
  const chat = { model: 'm', stream: false, messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }] };

  test('the key, the credential headers and URL query of the request as sent; short values are left alone', () => {
    const request: UpstreamHttpRequest = {
      url: 'https://example.com/v1/models/m:generate?alt=sse&key=query-secret-0001&sig=abc%2Bdef%2Fghi',
      method: 'POST',
      headers: { authorization: 'Bearer header-token-00001', 'cf-aig-authorization': 'Bearer gateway-token-0001', 'x-short-key': 'abc', 'content-type': 'application/json' },
    };
    const scrubber = attemptScrubber(openaiAdapter, key('provider-key-000001'), request);
    const text = 'provider-key-000001 header-token-00001 gateway-token-0001 query-secret-0001 abc+def/ghi abc application/json';
    assert.equal(scrubber.redactSecrets(text), '[redacted] [redacted] [redacted] [redacted] [redacted] abc application/json');
    assert.equal(scrubber.holdsSecret('nothing here'), false);
    assert.equal(scrubber.holdsSecret('x provider-key-000001 y'), true);
  });

  test('Bedrock: access key id, secret and session token, and the SigV4 header, whatever the adapter sent', async () => {
    const credentials = 'TESTKEYID0123456789:secret/Access+Key0123456789abcd:Session/Token+0123456789';
    const built = bedrockAdapter.buildChatRequest(chat, 'anthropic.claude-v2', key(credentials), settings());
    const signed = await bedrockAdapter.sign!(built, key(credentials), settings());
    assert.match(signed.headers.authorization!, /^AWS4-HMAC-SHA256 Credential=TESTKEYID0123456789\//);
    const scrubber = attemptScrubber(bedrockAdapter, key(credentials), signed);
    for (const part of credentials.split(':')) assert.equal(scrubber.redactSecrets(`a ${part} b`), 'a [redacted] b', part);
    assert.equal(scrubber.redactSecrets(signed.headers.authorization!), '[redacted]');
  });

  test('Gemini: the key sent in x-goog-api-key', () => {
    const request = geminiAdapter.buildChatRequest(chat, 'gemini-2.5-flash', key('plain-gemini-key-0001'), settings());
    assert.equal(request.headers['x-goog-api-key'], 'plain-gemini-key-0001');
    assert.equal(attemptScrubber(geminiAdapter, key('plain-gemini-key-0001'), request).scrub('key plain-gemini-key-0001 used'), 'key [redacted] used');
  });

  test('errors keep everything but the secret; transport messages lose keys in URLs', () => {
    const scrubber = attemptScrubber(openaiAdapter, key('provider-key-000001'), { url: 'https://x/v1', method: 'POST', headers: {} });
    const original = new GatewayError('upstream_unreachable', `Request to x failed: GET https://x/v1?key=${'AIza'}Sy${'A'.repeat(33)} with provider-key-000001.`, { retryable: true, upstreamStatus: 502, retryAfterMs: 10, param: 'p' });
    const scrubbed = scrubber.scrubError(original);
    assert.equal(scrubbed.message, 'Request to x failed: GET https://x/v1?key=[redacted] with [redacted].');
    assert.deepEqual([scrubbed.code, scrubbed.retryable, scrubbed.upstreamStatus, scrubbed.retryAfterMs, scrubbed.param, scrubbed.status], ['upstream_unreachable', true, 502, 10, 'p', 502]);
    const clean = new GatewayError('upstream_timeout', 'slow');
    assert.equal(scrubber.scrubError(clean), clean, 'nothing to remove: the same error');
  });

  test('credential shapes: bare keys of every provider family, bearer tokens, key=value and query credentials', () => {
    const cases: [string, string][] = [
      [`key ${'AIza'}Sy${'Dd0-h_'.repeat(5)}Hq3!`, 'key [redacted]!'], // made up; split for secret scanners
      [`id ${'AKIA'}${'T'.repeat(16)} and ${'ASIA'}${'U'.repeat(16)}`, 'id [redacted] and [redacted]'],
      [`sk-ant-api03-${'a'.repeat(30)} sk-proj-${'b'.repeat(30)}`, '[redacted] [redacted]'],
      ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer [redacted]'],
      ['password=hunter2hunter2', 'password=[redacted]'],
      ['GET /v1?X-Amz-Signature=abcdef123&X-Amz-Credential=AKID%2F2025', 'GET /v1?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]'],
      ['nothing secret about max_tokens: 50 or a skeleton', 'nothing secret about max_tokens: 50 or a skeleton'],
    ];
    for (const [input, output] of cases) assert.equal(scrubCredentialShapes(input), output);
  });
});
