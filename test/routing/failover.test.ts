import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { closeAfterTests, fake, scripted } from './closed-after-tests.js';
import { watchLeaks, type LeakWatch } from './leak-watch.js';
import { chunk, startEventStream } from './scripted-upstream.js';

const FAST_RETRIES = { retry: { base_backoff_ms: 1, max_backoff_ms: 5, max_retry_after_ms: 3_000 } };

const watches = new WeakMap<RunningGateway, LeakWatch>();

async function gateway(config: Record<string, unknown>): Promise<RunningGateway> {
  const running = await startGateway({ routing: FAST_RETRIES, logging: { level: 'error', requests: false }, ...config });
  closeAfterTests(() => running.close());
  watches.set(running, watchLeaks(running));
  return running;
}

/**
 * Nothing of the requests is left: no timer of the gateway's, no routing session, nothing in
 * flight, and no more upstream sockets than the keep-alive connections of the origins that answered.
 */
function nothingLeaks(running: RunningGateway, idleSockets: number): Promise<void> {
  return watches.get(running)!.settled({ idleSockets });
}

function openai(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'openai', base_url: url.endsWith('/v1') ? url : `${url}/v1`, keys: [{ id: 'key-a', value: 'test-key-a' }], ...extra };
}

async function chat(running: RunningGateway, model: string, options: { stream?: boolean; headers?: Record<string, string>; body?: Record<string, unknown> } = {}) {
  const response = await fetch(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ model, stream: options.stream === true, messages: [{ role: 'user', content: 'hello there' }], ...options.body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, any> };
}

function keysUsed(upstream: FakeUpstream): string[] {
  return upstream.requests.map((request) => String(request.headers.authorization).replace('Bearer test-key-', ''));
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('500, 502 and 503 are retried on the same target, then the route falls back', async () => {
  const primary = await fake();
  const backup = await fake();
  primary.enqueue({ error: { status: 500, message: 'boom' } }, { error: { status: 502, message: 'bad gateway' } }, { error: { status: 503, message: 'unavailable' } });
  const running = await gateway({
    providers: { primary: openai(primary.url, { max_retries: 2 }), backup: openai(backup.url) },
    routes: { main: { targets: [{ model: 'primary/gpt-4o-mini' }], fallbacks: ['backup/gpt-4o-mini'] } },
  });
  const response = await chat(running, 'main');
  assert.equal(response.status, 200);
  assert.equal(primary.requests.length, 3);
  assert.equal(backup.requests.length, 1);
  assert.equal(response.headers.get('x-tollgate-attempts'), '4');
  assert.equal(response.headers.get('x-tollgate-fallbacks'), '1');
  assert.equal(response.headers.get('x-tollgate-provider'), 'backup');
  assert.equal(response.headers.get('x-tollgate-key-id'), 'key-a');
  await nothingLeaks(running, 2);
});

test('a 429 without Retry-After rotates to the other key', async () => {
  const upstream = await fake();
  upstream.enqueue({ error: { status: 429, message: 'slow down' } });
  const running = await gateway({ providers: { primary: openai(upstream.url, { keys: [{ id: 'key-a', value: 'test-key-a' }, { id: 'key-b', value: 'test-key-b' }] }) } });
  const response = await chat(running, 'primary/gpt-4o-mini');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
  const [first, second] = keysUsed(upstream);
  assert.notEqual(first, second);
  assert.equal(response.headers.get('x-tollgate-key-id'), `key-${second}`);
  await nothingLeaks(running, 1);
});

test('a 429 with Retry-After on the only key is waited out, then the same key succeeds', async () => {
  const upstream = await fake();
  upstream.enqueue({ error: { status: 429, message: 'slow down', retryAfterSeconds: 1 } });
  const running = await gateway({ providers: { primary: openai(upstream.url) } });
  const response = await chat(running, 'primary/gpt-4o-mini');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
  assert.deepEqual(keysUsed(upstream), ['a', 'a']);
  await nothingLeaks(running, 1);
});

test('a Retry-After beyond max_retry_after_ms goes to the fallback; a 429 everywhere returns 429 with Retry-After', async () => {
  const primary = await fake();
  const backup = await fake();
  primary.enqueue({ error: { status: 429, message: 'quota', retryAfterSeconds: 60 } });
  const running = await gateway({ providers: { primary: openai(primary.url), backup: openai(backup.url) } });
  const response = await chat(running, 'primary/gpt-4o-mini', { body: { fallbacks: ['backup/gpt-4o-mini'] } });
  assert.equal(response.status, 200);
  assert.equal(primary.requests.length, 1);
  assert.equal(response.headers.get('x-tollgate-provider'), 'backup');

  backup.enqueue({ error: { status: 429, message: 'quota too', retryAfterSeconds: 30 } });
  const limited = await chat(running, 'primary/gpt-4o-mini', { body: { fallbacks: ['backup/gpt-4o-mini'] } });
  assert.equal(limited.status, 429);
  assert.equal(limited.json().error.code, 'upstream_rate_limited');
  assert.equal(limited.headers.get('retry-after'), '30');
  assert.equal(primary.requests.length, 1, 'the primary key still sits out its Retry-After');
  await nothingLeaks(running, 2);
});

test('401 cools the key down and rotates; when every key is refused the caller gets upstream_auth_failed, then no upstream calls', async () => {
  const upstream = await fake();
  upstream.enqueue({ error: { status: 401, message: 'Incorrect API key provided' } }, { error: { status: 403, message: 'forbidden' } });
  const running = await gateway({ providers: { primary: openai(upstream.url, { max_retries: 0, keys: [{ id: 'key-a', value: 'test-key-a' }, { id: 'key-b', value: 'test-key-b' }] }) } });
  const refused = await chat(running, 'primary/gpt-4o-mini');
  assert.equal(refused.status, 502);
  assert.equal(refused.json().error.code, 'upstream_auth_failed');
  assert.equal(refused.headers.get('x-tollgate-attempts'), '2');
  assert.deepEqual(keysUsed(upstream).sort(), ['a', 'b']);
  assert.match(refused.headers.get('x-tollgate-attempt-trail') ?? '', /primary\/gpt-4o-mini\[key key-.\] 401 upstream_auth_failed/);

  const cooled = await chat(running, 'primary/gpt-4o-mini');
  assert.equal(cooled.status, 503);
  assert.equal(cooled.json().error.code, 'no_target_available');
  assert.equal(upstream.requests.length, 2);

  const health = (await (await fetch(`${running.url}/health/providers`)).json()) as { keys: { keyId: string; state: string; reason?: string }[] };
  assert.deepEqual(health.keys.map((key) => key.state), ['open', 'open']);
  assert.match(health.keys[0]!.reason ?? '', /refused by the provider/);
  assert.doesNotMatch(JSON.stringify(health), /test-key-/);
  await nothingLeaks(running, 1);
});

test('a 400 is the caller\'s fault: one attempt, no fallback', async () => {
  const primary = await fake();
  const backup = await fake();
  primary.enqueue({ error: { status: 400, message: 'messages must not be empty', type: 'invalid_request_error' } });
  const running = await gateway({ providers: { primary: openai(primary.url), backup: openai(backup.url) } });
  const response = await chat(running, 'primary/gpt-4o-mini', { headers: { 'x-tollgate-fallbacks': 'backup/gpt-4o-mini' } });
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('x-tollgate-attempts'), '1');
  assert.equal(backup.requests.length, 0);
  await nothingLeaks(running, 1);
});

test('embeddings take per-request fallbacks from the body and the header too', async () => {
  const primary = await fake();
  const backup = await fake();
  const third = await fake();
  primary.enqueue({ error: { status: 503, message: 'unavailable' } }, { error: { status: 503, message: 'unavailable' } });
  const running = await gateway({ providers: { primary: openai(primary.url, { max_retries: 0 }), backup: openai(backup.url, { max_retries: 0 }), third: openai(third.url) } });
  const embed = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(`${running.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'primary/text-embedding-3-small', input: 'hello', ...body }) });
    const json = (await response.json()) as { data?: unknown[] };
    return { status: response.status, provider: response.headers.get('x-tollgate-provider'), attempts: response.headers.get('x-tollgate-attempts'), data: json.data };
  };
  const fromBody = await embed({ fallbacks: ['backup/text-embedding-3-small'] });
  assert.deepEqual([fromBody.status, fromBody.provider, fromBody.attempts], [200, 'backup', '2']);
  assert.equal(fromBody.data?.length, 1);
  assert.equal((backup.requests[0]!.body as Record<string, unknown>).fallbacks, undefined, 'the gateway field is not sent upstream');
  backup.enqueue({ error: { status: 500, message: 'boom' } });
  const both = await embed({ fallbacks: ['backup/text-embedding-3-small'] }, { 'x-tollgate-fallbacks': 'third/text-embedding-3-small' });
  assert.deepEqual([both.status, both.provider, both.attempts], [200, 'third', '3']);
  const malformed = await embed({ fallbacks: 'backup/text-embedding-3-small' });
  assert.equal(malformed.status, 400);
  await nothingLeaks(running, 3);
});

test('connection refused is retried, then the header fallback serves', async () => {
  const backup = await fake();
  const running = await gateway({ providers: { down: openai(`http://127.0.0.1:${await closedPort()}`, { max_retries: 1 }), backup: openai(backup.url) } });
  const response = await chat(running, 'down/gpt-4o-mini', { headers: { 'x-tollgate-fallbacks': 'backup/gpt-4o-mini' } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-attempts'), '3');
  assert.equal(response.headers.get('x-tollgate-fallbacks'), '1');
  assert.equal(response.headers.get('x-tollgate-provider'), 'backup');
  await nothingLeaks(running, 1);
});

test('every attempt unreachable: 502 upstream_unreachable with the attempt trail', async () => {
  const running = await gateway({ providers: { down: openai(`http://127.0.0.1:${await closedPort()}`, { max_retries: 1 }) } });
  const response = await chat(running, 'down/gpt-4o-mini');
  assert.equal(response.status, 502);
  const error = response.json().error;
  assert.equal(error.code, 'upstream_unreachable');
  assert.match(error.message, /after 2 attempts: down\/gpt-4o-mini\[key key-a\] 502 upstream_unreachable/);
  await nothingLeaks(running, 0);
});

test('a stream reset before its first content fails over; the caller sees one clean stream', async () => {
  const upstream = await fake();
  upstream.enqueue({ text: 'never seen', breakAfterEvents: 1 }, { text: 'second time lucky' });
  const running = await gateway({ providers: { primary: openai(upstream.url) } });
  const response = await chat(running, 'primary/gpt-4o-mini', { stream: true });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
  assert.match(response.text, /second/);
  assert.doesNotMatch(response.text, /never/);
  assert.match(response.text, /data: \[DONE\]/);
  await nothingLeaks(running, 1);
});

test('a non-streamed body cut mid-way is retried', async () => {
  const upstream = await scripted();
  upstream.script((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
    response.write('{"id":"chatcmpl-1","object":"chat.comp');
    setTimeout(() => response.socket?.destroy(), 10);
  });
  const running = await gateway({ providers: { primary: openai(upstream.url) } });
  const response = await chat(running, 'primary/gpt-4o-mini');
  assert.equal(response.status, 200);
  assert.equal(upstream.count, 2);
  assert.equal(response.json().choices[0].message.content, 'scripted fallback');
  await nothingLeaks(running, 1);
});

test('malformed upstream JSON is retried, and reported as upstream_invalid_response when it persists', async () => {
  const upstream = await scripted();
  const garbage = (_request: unknown, response: import('node:http').ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"choices": [ oops');
  };
  upstream.script(garbage);
  const running = await gateway({ providers: { primary: openai(upstream.url, { max_retries: 1 }) } });
  const recovered = await chat(running, 'primary/gpt-4o-mini');
  assert.equal(recovered.status, 200);
  assert.equal(recovered.headers.get('x-tollgate-attempts'), '2');

  upstream.script(garbage, garbage);
  const failed = await chat(running, 'primary/gpt-4o-mini');
  assert.equal(failed.status, 502);
  assert.equal(failed.json().error.code, 'upstream_invalid_response');
  await nothingLeaks(running, 1);
});

test('a slow first byte past first_byte_ms times out and is retried; if it persists the caller gets 504', async () => {
  const upstream = await fake();
  upstream.enqueue({ text: 'too late', delayMs: 1_500 });
  const running = await gateway({ providers: { primary: openai(upstream.url, { max_retries: 1, timeouts: { first_byte_ms: 200 } }) } });
  const response = await chat(running, 'primary/gpt-4o-mini');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
  assert.equal(upstream.requests.length, 2);

  upstream.enqueue({ text: 'late', delayMs: 1_500 }, { text: 'late', delayMs: 1_500 });
  const timedOut = await chat(running, 'primary/gpt-4o-mini');
  assert.equal(timedOut.status, 504);
  assert.equal(timedOut.json().error.code, 'upstream_timeout');
  assert.match(timedOut.json().error.message, /first byte/);
  await nothingLeaks(running, 1);
});

test('a connection that never finishes its set-up trips connect_ms, closes, and falls back', async () => {
  // Accepts TCP and never answers the TLS handshake: the connection is never ready.
  const accepted: import('node:net').Socket[] = [];
  const closed: Promise<void>[] = [];
  const silent = createServer((socket) => {
    accepted.push(socket);
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
    // Read (and ignore) the TLS hello, so the gateway's closing the connection is seen.
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  closeAfterTests(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const backup = await fake();
  const { port } = silent.address() as AddressInfo;
  const running = await gateway({ providers: { silent: openai(`https://127.0.0.1:${port}`, { max_retries: 0, timeouts: { connect_ms: 200, first_byte_ms: 60_000 } }), backup: openai(backup.url) } });
  const response = await chat(running, 'silent/gpt-4o-mini', { body: { fallbacks: ['backup/gpt-4o-mini'] } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-provider'), 'backup');
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
  assert.equal(accepted.length, 1);

  const alone = await chat(running, 'silent/gpt-4o-mini');
  assert.equal(alone.status, 504);
  assert.equal(alone.json().error.code, 'upstream_timeout');
  assert.match(alone.json().error.message, /connecting to/);
  // The gateway gave up on both connections and closed them.
  assert.equal(accepted.length, 2);
  await Promise.all(closed);
  await nothingLeaks(running, 1);
});

test('x-tollgate-timeout-ms shortens the wait for one request; a malformed value is a 400', async () => {
  const upstream = await fake();
  // undici checks timeouts on a coarse (~0.5 s) timer, so the upstream is far slower than the override.
  upstream.enqueue({ text: 'slowish', delayMs: 2_500 });
  const running = await gateway({ providers: { primary: openai(upstream.url, { max_retries: 0, timeout_ms: 10_000 }) } });
  const response = await chat(running, 'primary/gpt-4o-mini', { headers: { 'x-tollgate-timeout-ms': '150' } });
  assert.equal(response.status, 504);
  const bad = await chat(running, 'primary/gpt-4o-mini', { headers: { 'x-tollgate-timeout-ms': 'later' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().error.param, 'x-tollgate-timeout-ms');
  await nothingLeaks(running, 1);
});

test('a stream that stalls before content trips idle_ms and fails over', async () => {
  const primary = await fake();
  const backup = await fake();
  primary.enqueue({ text: 'slow words here', eventIntervalMs: 1_500 });
  const running = await gateway({ providers: { primary: openai(primary.url, { max_retries: 0, timeouts: { idle_ms: 200 } }), backup: openai(backup.url) } });
  const response = await chat(running, 'primary/gpt-4o-mini', { stream: true, body: { fallbacks: ['backup/gpt-4o-mini'] } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-provider'), 'backup');
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
  assert.match(response.text, /Hello from/);
  await nothingLeaks(running, 1);
});

test('a stream that stalls after content ends with a well-formed error event, not a silent close', async () => {
  const upstream = await scripted();
  upstream.script((_request, response) => {
    startEventStream(response);
    response.write(chunk({ role: 'assistant', content: '' }));
    response.write(chunk({ content: 'Partial answ' }));
    // …and then nothing: the idle timeout must end it.
  });
  const running = await gateway({ providers: { primary: openai(upstream.url, { max_retries: 0, timeouts: { idle_ms: 200 } }) } });
  const response = await chat(running, 'primary/gpt-4o-mini', { stream: true });
  assert.equal(response.status, 200);
  assert.match(response.text, /Partial answ/);
  const events = response.text.split('\n\n').filter((event) => event.startsWith('data: {'));
  const last = JSON.parse(events[events.length - 1]!.slice(6)) as { error?: { code: string } };
  assert.equal(last.error?.code, 'upstream_timeout');
  assert.equal(upstream.count, 1, 'after content has reached the caller there is no retry');
  await nothingLeaks(running, 0);
});

test('an error event inside a 200 stream before any content fails over', async () => {
  const primary = await scripted();
  const backup = await fake();
  primary.script((_request, response) => {
    startEventStream(response);
    response.write(chunk({ role: 'assistant', content: '' }));
    response.end(`data: ${JSON.stringify({ error: { message: 'The server is overloaded', type: 'server_error' } })}\n\n`);
  });
  const running = await gateway({ providers: { primary: openai(primary.url, { max_retries: 0 }), backup: openai(backup.url) } });
  const response = await chat(running, 'primary/gpt-4o-mini', { stream: true, headers: { 'x-tollgate-fallbacks': 'backup/gpt-4o-mini' } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-provider'), 'backup');
  assert.doesNotMatch(response.text, /overloaded/);
  assert.match(response.text, /Hello from/);
  await nothingLeaks(running, 2);
});

test('an error event after content reaches the caller as an error event', async () => {
  const primary = await scripted();
  primary.script((_request, response) => {
    startEventStream(response);
    response.write(chunk({ role: 'assistant', content: 'Half of it' }));
    response.end(`data: ${JSON.stringify({ error: { message: 'The server is overloaded', type: 'server_error' } })}\n\n`);
  });
  const running = await gateway({ providers: { primary: openai(primary.url, { max_retries: 0 }) } });
  const response = await chat(running, 'primary/gpt-4o-mini', { stream: true });
  assert.equal(response.status, 200);
  assert.match(response.text, /Half of it/);
  assert.match(response.text, /"error":\{[^}]*overloaded/);
  assert.equal(primary.count, 1);
  await nothingLeaks(running, 1);
});

test('the total timeout ends a stream that keeps trickling', async () => {
  const upstream = await fake();
  upstream.enqueue({ text: 'one two three four five six seven eight nine ten eleven twelve', eventIntervalMs: 400 });
  const running = await gateway({ providers: { primary: openai(upstream.url, { max_retries: 0, timeouts: { total_ms: 1_200, idle_ms: 5_000 } }) } });
  const response = await chat(running, 'primary/gpt-4o-mini', { stream: true });
  assert.equal(response.status, 200);
  assert.match(response.text, /"code":"upstream_timeout"/);
  assert.doesNotMatch(response.text, /"finish_reason":"stop"/);
  await nothingLeaks(running, 0);
});

test('GET /health/providers lists targets and keys with nothing left in flight', async () => {
  const upstream = await fake();
  const running = await gateway({
    providers: { primary: openai(upstream.url, { models: ['gpt-4o-mini'] }), local: { type: 'mock', models: ['mock-small'] } },
    routes: { split: { targets: [{ model: 'primary/gpt-4o-mini', weight: 70 }, { model: 'local/mock-small', weight: 30 }] } },
  });
  for (let index = 0; index < 6; index++) assert.equal((await chat(running, 'split', { stream: index % 2 === 0 })).status, 200);
  const health = (await (await fetch(`${running.url}/health/providers`)).json()) as { targets: { target: string; state: string; inFlight: number; latencyMs: number | null }[]; keys: { keyId: string }[] };
  assert.deepEqual(health.targets.map((target) => target.target).sort(), ['local/mock-small', 'primary/gpt-4o-mini']);
  assert.ok(health.targets.every((target) => target.state === 'closed' && target.inFlight === 0));
  assert.ok(health.targets.some((target) => target.latencyMs !== null));
  assert.deepEqual(health.keys.map((key) => key.keyId), ['key-a']);
  await nothingLeaks(running, 1);
});
