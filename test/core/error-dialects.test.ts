import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import WebSocket from 'ws';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { rawExchange } from '../helpers/raw-http.js';

// Errors the server answers itself (no route, wrong method, malformed HTTP, shutting down) come in
// the envelope of the API the path belongs to; the admin API checks its token before any of them.
const ADMIN_TOKEN = 'admin-token-for-dialect-tests';
let running: RunningGateway;

before(async () => {
  running = await startGateway({ admin: { token: ADMIN_TOKEN }, providers: { mock: { type: 'mock', models: ['m'] } } });
});
after(() => running.close());

interface AnthropicEnvelope {
  type: string;
  error: { type: string; message: string; code: string };
}
interface GeminiEnvelope {
  error: { code: number; status: string; message: string; details: { reason?: string }[] };
}
interface OpenAIEnvelope {
  error: { type: string; code: string; message: string; param: string | null };
}

async function call(path: string, options: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; headers?: Record<string, string>; body?: string } = {}) {
  const response = await request(`${running.url}${path}`, options);
  return { status: response.statusCode, headers: response.headers, json: (await response.body.json()) as unknown };
}

test('404 and 405 under /anthropic come in the Anthropic envelope, as the Anthropic SDK reads them', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'not-needed', maxRetries: 0 });
  await assert.rejects(client.post('/v1/messages/nothing-here', { body: {} }), (error: unknown) => {
    assert.ok(error instanceof Anthropic.NotFoundError, String(error));
    const envelope = error.error as AnthropicEnvelope;
    assert.equal(envelope.type, 'error');
    assert.equal(envelope.error.type, 'not_found_error');
    assert.equal(envelope.error.code, 'route_not_found');
    return true;
  });
  const wrongMethod = await call('/anthropic/v1/messages');
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.allow, 'POST');
  const envelope = wrongMethod.json as AnthropicEnvelope;
  assert.equal(envelope.type, 'error');
  assert.equal(envelope.error.code, 'method_not_allowed');
  assert.equal(envelope.error.type, 'invalid_request_error');
});

test('404 and 405 under /gemini come in Google\'s envelope, the code as an ErrorInfo reason', async () => {
  const missing = await call('/gemini/v1beta/nothing-here');
  assert.equal(missing.status, 404);
  const notFound = missing.json as GeminiEnvelope;
  assert.equal(notFound.error.code, 404);
  assert.equal(notFound.error.status, 'NOT_FOUND');
  assert.equal(notFound.error.details[0]!.reason, 'route_not_found');
  const wrongMethod = await call('/gemini/v1beta/models/mock/m:generateContent');
  assert.equal(wrongMethod.status, 405);
  assert.equal((wrongMethod.json as GeminiEnvelope).error.details[0]!.reason, 'method_not_allowed');
});

test('paths that only look like a prefix, and everything else, keep the OpenAI envelope', async () => {
  // `GET /` redirects to the console (docs/console.md); other methods on `/` are still answered in the envelope.
  for (const path of ['/anthropics/v1/messages', '/geminis', '/v1/nothing', '/uix']) {
    const missing = await call(path);
    assert.equal(missing.status, 404, path);
    assert.equal((missing.json as OpenAIEnvelope).error.code, 'route_not_found', path);
    assert.equal((missing.json as OpenAIEnvelope).error.type, 'not_found_error', path);
  }
  const root = await call('/', { method: 'POST' });
  assert.equal(root.status, 405);
  assert.equal((root.json as OpenAIEnvelope).error.code, 'method_not_allowed');
});

test('malformed HTTP is answered in the envelope of the path on its request line', async () => {
  const reply = await rawExchange(running.url, (socket) => {
    socket.write('POST /anthropic/v1/messages HTTP/1.1\r\nhost: gateway\r\na header line without a colon\r\n\r\n');
  });
  assert.equal(reply.status, 400);
  assert.equal(reply.headers['x-tollgate-error-code'], 'invalid_request');
  assert.equal(reply.headers['x-tollgate-provider'], 'none');
  const envelope = JSON.parse(reply.body) as AnthropicEnvelope;
  assert.equal(envelope.type, 'error');
  assert.equal(envelope.error.code, 'invalid_request');

  const garbage = await rawExchange(running.url, (socket) => {
    socket.write('NOT HTTP AT ALL\r\n\r\n');
  });
  assert.equal(garbage.status, 400);
  assert.deepEqual(Object.keys((JSON.parse(garbage.body) as OpenAIEnvelope).error).sort(), ['code', 'message', 'param', 'type']);
});

test('unknown /admin paths and wrong methods ask for the admin token before saying 404 or 405', async () => {
  for (const [method, path] of [
    ['GET', '/admin/nothing-here'],
    ['GET', '/admin'],
    ['DELETE', '/admin/logs'],
    ['POST', '/admin/keys/some-id/nothing'],
  ] as const) {
    const anonymous = await call(path, { method });
    assert.equal(anonymous.status, 401, `${method} ${path}`);
    assert.equal((anonymous.json as OpenAIEnvelope).error.code, 'admin_unauthorized');
    const wrong = await call(path, { method, headers: { authorization: 'Bearer not-the-admin-token-at-all' } });
    assert.equal(wrong.status, 401, `${method} ${path} with a wrong token`);
  }
  const authorized = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const missing = await call('/admin/nothing-here', { headers: authorized });
  assert.equal(missing.status, 404);
  assert.equal((missing.json as OpenAIEnvelope).error.code, 'route_not_found');
  const wrongMethod = await call('/admin/logs', { method: 'DELETE', headers: authorized });
  assert.equal(wrongMethod.status, 405);
  assert.equal((wrongMethod.json as OpenAIEnvelope).error.code, 'method_not_allowed');
});

test('without admin.token every /admin path, routed or not, says the admin API is off', async () => {
  const closed = await startGateway({ providers: { mock: { type: 'mock', models: ['m'] } } });
  try {
    for (const path of ['/admin/nothing-here', '/admin/keys']) {
      const response = await request(`${closed.url}${path}`);
      assert.equal(response.statusCode, 403, path);
      assert.equal(((await response.body.json()) as OpenAIEnvelope).error.code, 'admin_disabled');
    }
  } finally {
    await closed.close();
  }
});

/** A WebSocket upgrade the gateway refuses: its status, headers and JSON body. */
function refusedUpgrade(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; json: unknown }> {
  const socket = new WebSocket(`${running.url.replace('http:', 'ws:')}${path}`, { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => reject(new Error(`${path} was upgraded`)));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, json: JSON.parse(text) as unknown }));
    });
  });
}

test('the live tail refuses a missing or wrong token with a 401 that has a type and a code', async () => {
  for (const headers of [{}, { authorization: 'Bearer not-the-admin-token-at-all' }] as Record<string, string>[]) {
    const refused = await refusedUpgrade('/admin/logs/tail', headers);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['x-tollgate-error-code'], 'admin_unauthorized');
    assert.match(String(refused.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const envelope = refused.json as OpenAIEnvelope;
    assert.equal(envelope.error.type, 'authentication_error');
    assert.equal(envelope.error.code, 'admin_unauthorized');
  }
  const badFilter = await refusedUpgrade('/admin/logs/tail?min_latency_ms=fast', { authorization: `Bearer ${ADMIN_TOKEN}` });
  assert.equal(badFilter.status, 400);
  assert.equal((badFilter.json as OpenAIEnvelope).error.param, 'min_latency_ms');
});

test('WebSocket upgrades to unknown paths: the admin token first under /admin, then a 404 in the envelope', async () => {
  const anonymous = await refusedUpgrade('/admin/nothing-here');
  assert.equal(anonymous.status, 401);
  assert.equal((anonymous.json as OpenAIEnvelope).error.code, 'admin_unauthorized');
  const authorized = await refusedUpgrade('/admin/nothing-here', { authorization: `Bearer ${ADMIN_TOKEN}` });
  assert.equal(authorized.status, 404);
  assert.equal((authorized.json as OpenAIEnvelope).error.code, 'route_not_found');
  const anthropic = await refusedUpgrade('/anthropic/v1/stream');
  assert.equal(anthropic.status, 404);
  assert.equal((anthropic.json as AnthropicEnvelope).error.code, 'route_not_found');
});

test('while shutting down, a request under /anthropic is refused with 503 shutting_down in the Anthropic envelope', async () => {
  const draining = await startGateway({
    server: { shutdown_grace_ms: 10_000 },
    providers: { mock: { type: 'mock', models: ['slow'], mock: { chunk_interval_ms: 40, reply: 'one two three four five six seven eight nine ten' } } },
  });
  // A stream in flight keeps the gateway draining while the refused request arrives.
  const stream = await request(`${draining.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/slow', stream: true, messages: [{ role: 'user', content: 'go' }] }),
  });
  assert.equal(stream.statusCode, 200);
  let closing: Promise<void> | undefined;
  const body = JSON.stringify({ model: 'mock/slow', max_tokens: 16, messages: [{ role: 'user', content: 'late' }] });
  const reply = await rawExchange(draining.url, async (socket) => {
    // Let the gateway accept this connection before it stops listening.
    await sleep(50);
    closing = draining.gateway.close();
    socket.write(`POST /anthropic/v1/messages HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
  });
  assert.equal(reply.status, 503);
  assert.equal(reply.headers.connection, 'close');
  assert.equal(reply.headers['retry-after'], '1');
  const envelope = JSON.parse(reply.body) as AnthropicEnvelope;
  assert.equal(envelope.type, 'error');
  assert.equal(envelope.error.type, 'overloaded_error');
  assert.equal(envelope.error.code, 'shutting_down');
  assert.match(await stream.body.text(), /ten/);
  await closing;
});

test('malformed HTTP pipelined behind a stream in progress is never written into that stream', async () => {
  const streaming = await startGateway({ providers: { mock: { type: 'mock', models: ['slow'], mock: { chunk_interval_ms: 50, reply: 'one two three four five six seven eight' } } } });
  try {
    const body = JSON.stringify({ model: 'mock/slow', stream: true, messages: [{ role: 'user', content: 'go' }] });
    const reply = await rawExchange(streaming.url, (socket) => {
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      // Once the stream's head has arrived, a broken second request on the same connection.
      socket.once('data', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    });
    assert.equal(reply.status, 200);
    assert.doesNotMatch(reply.raw, /HTTP\/1\.1 400/);
  } finally {
    await streaming.close();
  }
});
