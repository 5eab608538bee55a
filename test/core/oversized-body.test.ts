import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { fetch } from 'undici';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { rawExchange } from '../helpers/raw-http.js';

// Official clients write the whole body before reading the answer. A gateway that stops reading
// and closes while they still write makes them report a connection error (`fetch failed`,
// EPIPE) instead of its 413: the rest of the body is read and dropped first.
let running: RunningGateway;

before(async () => {
  // The default limit (10 MiB), as a caller hitting it in production would.
  running = await startGateway({ providers: { mock: { type: 'mock', models: ['m'] } } });
});
after(() => running.close());

const TWELVE_MB = 12 * 1000 * 1000;

function chatBody(contentBytes: number): string {
  return JSON.stringify({ model: 'mock/m', messages: [{ role: 'user', content: 'a'.repeat(contentBytes) }] });
}

/** A body as a stream of 64 KiB pieces, sent chunked (no content-length). */
function streamed(text: string): ReadableStream<Uint8Array> {
  const bytes = Buffer.from(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, (offset += 65_536)));
    },
  });
}

test('undici fetch: a 12 MB chat body is a 413 body_too_large with connection: close, with a length or chunked', async () => {
  for (const body of [chatBody(TWELVE_MB), streamed(chatBody(40_000_000))]) {
    const response = await fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' });
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('connection'), 'close');
    assert.equal(response.headers.get('x-tollgate-error-code'), 'body_too_large');
    const json = (await response.json()) as { error: { code: string; type: string; message: string } };
    assert.equal(json.error.code, 'body_too_large');
    assert.equal(json.error.type, 'invalid_request_error');
    assert.match(json.error.message, /server\.max_body_bytes/);
  }
});

test('the openai SDK sees the 413 as an API error carrying the code, not a connection error', async () => {
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  await assert.rejects(client.chat.completions.create({ model: 'mock/m', messages: [{ role: 'user', content: 'a'.repeat(TWELVE_MB) }] }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError, String(error));
    assert.ok(!(error instanceof OpenAI.APIConnectionError), 'a connection error hides the answer');
    assert.equal(error.status, 413);
    assert.equal(error.code, 'body_too_large');
    return true;
  });
  // The connection was closed, not the gateway: the next request is served.
  const reply = await client.chat.completions.create({ model: 'mock/m', messages: [{ role: 'user', content: 'after the refusal' }] });
  assert.match(reply.choices[0]!.message.content ?? '', /after the refusal/);
});

test('the Anthropic SDK sees a 413 request_too_large in the Anthropic envelope', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'not-needed', maxRetries: 0 });
  await assert.rejects(client.messages.create({ model: 'mock/m', max_tokens: 16, messages: [{ role: 'user', content: 'a'.repeat(TWELVE_MB) }] }), (error: unknown) => {
    assert.ok(error instanceof Anthropic.APIError, String(error));
    assert.ok(!(error instanceof Anthropic.APIConnectionError), 'a connection error hides the answer');
    assert.equal(error.status, 413);
    const envelope = error.error as { type: string; error: { type: string; code: string } };
    assert.equal(envelope.type, 'error');
    assert.equal(envelope.error.type, 'request_too_large');
    assert.equal(envelope.error.code, 'body_too_large');
    return true;
  });
});

test('a declared length beyond the discard bound is refused at once, without reading or waiting for the body', async () => {
  // Were the body awaited, this test would wait for an idle timeout longer than the test timeout.
  const patient = await startGateway({ server: { body_idle_timeout_ms: 600_000 }, providers: { mock: { type: 'mock', models: ['m'] } } });
  try {
    const reply = await rawExchange(patient.url, (socket) => {
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: ${200 * 1024 * 1024}\r\n\r\n{"model":`);
    });
    assert.equal(reply.status, 413);
    assert.equal(reply.headers.connection, 'close');
    assert.equal((JSON.parse(reply.body) as { error: { code: string } }).error.code, 'body_too_large');
  } finally {
    await patient.close();
  }
});
