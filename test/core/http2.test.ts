import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type IncomingHttpStatusHeader } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * HTTP/2 with prior knowledge (cleartext) on the gateway's one port, beside HTTP/1.1, for every
 * route: what the AWS SDKs' default handler speaks, checked here with node:http2 on the OpenAI routes.
 */

let upstream: FakeUpstream;
let running: RunningGateway;

const MAX_BODY = 64 * 1024;

before(async () => {
  upstream = await startOpenAIFake();
  running = await startGateway({
    server: { max_body_bytes: MAX_BODY, body_idle_timeout_ms: 400 },
    providers: {
      mock: { type: 'mock', models: ['mock-small'] },
      openai: { type: 'openai', base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-' + 'test-h2' }], models: ['gpt-4o-mini'], max_retries: 0 },
    },
  });
});
after(async () => {
  await running?.close();
  await upstream?.close();
});

interface Answer {
  headers: IncomingHttpHeaders & IncomingHttpStatusHeader;
  body: string;
  trailers: IncomingHttpHeaders | undefined;
}

function send(session: ClientHttp2Session, path: string, body?: unknown, onData?: (text: string, cancel: () => void) => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': body === undefined ? 'GET' : 'POST', ':path': path, 'content-type': 'application/json' });
    let headers: Answer['headers'] = {};
    let trailers: IncomingHttpHeaders | undefined;
    let text = '';
    stream.on('response', (received) => (headers = received));
    stream.on('trailers', (received) => (trailers = received));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      onData?.(text, () => stream.close());
    });
    stream.on('close', () => resolve({ headers, body: text, trailers }));
    stream.on('error', reject);
    stream.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

/** The text of an OpenAI stream's content deltas. */
function contentOf(sse: string): string {
  return [...sse.matchAll(/"content":"([^"]*)"/g)].map((match) => match[1]).join('');
}

test('a streamed /v1/chat/completions over HTTP/2: SSE chunks, the cost trailer, no connection headers', async () => {
  const session = connect(running.url);
  try {
    const answer = await send(session, '/v1/chat/completions', { model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'hello over h2' }] });
    assert.equal(answer.headers[':status'], 200);
    assert.match(String(answer.headers['content-type']), /^text\/event-stream/);
    assert.equal(answer.headers.connection, undefined);
    assert.match(contentOf(answer.body), /hello over h2/);
    assert.match(answer.body, /data: \[DONE\]\n\n$/);
    assert.match(String(answer.trailers?.['x-tollgate-cost']), /^[0-9.]+$|^unknown$/);

    // The same session carries further requests, complete and refused.
    const complete = await send(session, '/v1/chat/completions', { model: 'mock/mock-small', messages: [{ role: 'user', content: 'again' }] });
    assert.equal(complete.headers[':status'], 200);
    assert.match((JSON.parse(complete.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content, /again/);
    const missing = await send(session, '/v1/nowhere');
    assert.equal(missing.headers[':status'], 404);
    assert.equal((JSON.parse(missing.body) as { error: { code: string } }).error.code, 'route_not_found');
    const models = await send(session, '/v1/models');
    assert.equal(models.headers[':status'], 200);
  } finally {
    session.close();
  }
});

test('HTTP/1.1 on the same port still works', async () => {
  const response = await request(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'h1' }] }) });
  assert.equal(response.statusCode, 200);
  assert.match(await response.body.text(), /h1/);
});

test('an oversized body over HTTP/2 is refused with 413 on its stream; the session goes on', async () => {
  const session = connect(running.url);
  try {
    const huge = JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY * 2) }] });
    const refused = await send(session, '/v1/chat/completions', huge);
    assert.equal(refused.headers[':status'], 413);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'body_too_large');
    const next = await send(session, '/v1/chat/completions', { model: 'mock/mock-small', messages: [{ role: 'user', content: 'still here' }] });
    assert.equal(next.headers[':status'], 200);
  } finally {
    session.close();
  }
});

test('a caller cancelling its HTTP/2 stream stops the upstream request', async () => {
  upstream.enqueue({ text: 'one two three four five six seven eight nine ten eleven twelve thirteen', eventIntervalMs: 100, usage: { input: 3, output: 13 } });
  const abortedBefore = upstream.aborted;
  const session = connect(running.url);
  try {
    const answer = await send(session, '/v1/chat/completions', { model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count' }] }, (text, cancel) => {
      if (text.includes('"content"')) cancel();
    });
    assert.doesNotMatch(answer.body, /\[DONE\]/);
    const deadline = Date.now() + 5000;
    while (upstream.aborted === abortedBefore && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(upstream.aborted, abortedBefore + 1);
  } finally {
    session.close();
  }
});

test('a stalled body over HTTP/2 is answered 408 on its stream', async () => {
  const session = connect(running.url);
  try {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('close', () => resolve({ status, body }));
      stream.on('error', reject);
      stream.write('{"model": "mock/mock-small", "mess');
    });
    assert.equal(answer.status, 408);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'request_timeout');
  } finally {
    session.destroy();
  }
});

test('garbage after the HTTP/2 preface closes that connection only; the gateway goes on', async () => {
  const { port } = new URL(running.url);
  const closed = await new Promise<boolean>((resolve) => {
    const socket = connectTcp(Number(port), '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.alloc(64, 0xff)])));
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(true));
  });
  assert.ok(closed);
  const session = connect(running.url);
  try {
    const models = await send(session, '/v1/models');
    assert.equal(models.headers[':status'], 200);
  } finally {
    session.close();
  }
});
