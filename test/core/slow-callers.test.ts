import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { rawExchange, writeIfOpen } from '../helpers/raw-http.js';

// Slowloris and stalled uploads: every slow caller is answered 408 `request_timeout` in the route's
// dialect and its connection closed, within timeouts small enough for a test.
let running: RunningGateway;

before(async () => {
  running = await startGateway({
    server: { header_timeout_ms: 300, body_idle_timeout_ms: 1000 },
    providers: { mock: { type: 'mock', models: ['m'] } },
    admin: { token: 'admin-token-for-slow-caller-tests' },
  });
});
after(() => running.close());

const CHAT = JSON.stringify({ model: 'mock/m', messages: [{ role: 'user', content: 'hello there' }] });

/** Writes `line` every 50 ms for as long as the connection stays open. */
async function trickle(socket: Socket, line: string): Promise<void> {
  while (writeIfOpen(socket, line)) await sleep(50);
}

function head(path: string, length: number, extra = ''): string {
  return `POST ${path} HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n${extra}\r\n`;
}

test('headers trickled a line at a time are cut with a 408 request_timeout, and the connection closes', async () => {
  const reply = await rawExchange(running.url, async (socket) => {
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\n');
    await trickle(socket, 'x-slow: yes\r\n');
  });
  assert.equal(reply.status, 408);
  assert.equal(reply.headers.connection, 'close');
  assert.equal(reply.headers['x-tollgate-error-code'], 'request_timeout');
  assert.match(reply.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  const body = JSON.parse(reply.body) as { error: { code: string; type: string; message: string } };
  assert.equal(body.error.code, 'request_timeout');
  assert.equal(body.error.type, 'invalid_request_error');
  assert.match(body.error.message, /server\.header_timeout_ms/);
});

test('a connection that never sends a byte is closed with a 408', async () => {
  const reply = await rawExchange(running.url, () => undefined);
  assert.equal(reply.status, 408);
});

test('half a body, then silence: 408 request_timeout in the OpenAI envelope, the connection closes', async () => {
  const reply = await rawExchange(running.url, (socket) => {
    socket.write(head('/v1/chat/completions', CHAT.length) + CHAT.slice(0, 20));
  });
  assert.equal(reply.status, 408);
  assert.equal(reply.headers.connection, 'close');
  const body = JSON.parse(reply.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'request_timeout');
  assert.match(body.error.message, /server\.body_idle_timeout_ms/);
});

test('a stalled body on the Anthropic and Gemini routes gets the 408 in their envelopes', async () => {
  const anthropic = await rawExchange(running.url, (socket) => {
    socket.write(head('/anthropic/v1/messages', 500) + '{"model":');
  });
  assert.equal(anthropic.status, 408);
  const anthropicBody = JSON.parse(anthropic.body) as { type: string; error: { type: string; code: string } };
  assert.equal(anthropicBody.type, 'error');
  assert.equal(anthropicBody.error.code, 'request_timeout');

  const gemini = await rawExchange(running.url, (socket) => {
    socket.write(head('/gemini/v1beta/models/mock/m:generateContent', 500) + '{"contents":');
  });
  assert.equal(gemini.status, 408);
  const geminiBody = JSON.parse(gemini.body) as { error: { code: number; status: string; details: { reason?: string }[] } };
  assert.equal(geminiBody.error.code, 408);
  assert.equal(geminiBody.error.details[0]!.reason, 'request_timeout');
});

test('a chunked body that stops without its last chunk is cut the same way', async () => {
  const reply = await rawExchange(running.url, (socket) => {
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"mod\r\n');
  });
  assert.equal(reply.status, 408);
  assert.equal((JSON.parse(reply.body) as { error: { code: string } }).error.code, 'request_timeout');
});

test('a body arriving in pieces, each well within the idle timeout but longer than it in all, is served', async () => {
  const pieces = 12;
  const size = Math.ceil(CHAT.length / pieces);
  const reply = await rawExchange(running.url, async (socket) => {
    socket.write(head('/v1/chat/completions', CHAT.length, 'connection: close\r\n'));
    for (let index = 0; index < pieces; index++) {
      await sleep(100);
      socket.write(CHAT.slice(index * size, (index + 1) * size));
    }
  });
  assert.equal(reply.status, 200, reply.raw);
  assert.match(reply.body, /hello there/);
});

test('a stalled body on an unknown path: the 404 comes once the idle timeout cuts the body, and the connection closes', async () => {
  const reply = await rawExchange(running.url, (socket) => {
    socket.write(head('/v1/nothing-here', 1000) + 'x'.repeat(10));
  });
  assert.equal(reply.status, 404);
  assert.equal(reply.headers.connection, 'close');
  assert.equal((JSON.parse(reply.body) as { error: { code: string } }).error.code, 'route_not_found');
});

test('a body a handler answered without reading cannot hold the connection: it closes once the body stalls', async () => {
  const reply = await rawExchange(running.url, (socket) => {
    socket.write(head('/admin/keys', 1000, 'authorization: Bearer wrong-token-wrong-token\r\n') + '{"a":');
  });
  assert.equal(reply.status, 401);
  assert.equal(reply.headers['x-tollgate-error-code'], 'admin_unauthorized');
});

test('the gateway serves normally after all of that', async () => {
  const response = await request(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: CHAT });
  assert.equal(response.statusCode, 200);
  await response.body.dump();
});

test('server.request_timeout_ms covers reading the body: a body trickled faster than the idle timeout is cut with a 408', async () => {
  const strict = await startGateway({ server: { request_timeout_ms: 500, header_timeout_ms: 500, body_idle_timeout_ms: 5000 }, providers: { mock: { type: 'mock', models: ['m'] } } });
  try {
    const reply = await rawExchange(strict.url, async (socket) => {
      socket.write(head('/v1/chat/completions', 100_000) + '{"model":"mock/m","messages":[{"role":"user","content":"');
      await trickle(socket, 'x');
    });
    assert.equal(reply.status, 408);
    assert.equal(reply.headers.connection, 'close');
    const body = JSON.parse(reply.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'request_timeout');
    assert.match(body.error.message, /server\.request_timeout_ms/);
  } finally {
    await strict.close();
  }
});
