import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { request } from 'undici';
import type { HttpExchange } from '../../src/http/http-route.js';
import { sendJson } from '../../src/http/respond.js';
import type { ModuleFactory } from '../../src/pipeline/module.js';
import { HttpTransport } from '../../src/providers/transport/http-transport.js';
import { GatewayError } from '../../src/spec/index.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { rawExchange } from '../helpers/raw-http.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';

// The signal every handler gets is a real AbortSignal whose reason says why the gateway gave up:
// the routes below are a module's, mounted on a real gateway, and report what they saw.

/** How each exchange's signal ended, by request id. */
const endings = new Map<string, Promise<{ code: string | undefined; combined: boolean; nodeTimer: string }>>();
/** What `/probe/late` saw of its signal, read only after the request ended, by request id. */
const lateEndings = new Map<string, Promise<{ code: string | undefined; aborted: boolean; real: boolean }>>();

/** A loopback upstream: `/answer` answers, anything else never does. */
let silentUpstream: Server;
let upstreamUrl: string;
/** Times requests out after 300 ms. */
let strict: RunningGateway;
/** Keeps the default request timeout, for what must not time out. */
let patient: RunningGateway;
const transport = new HttpTransport();

function reasonCode(signal: AbortSignal): string | undefined {
  return GatewayError.is(signal.reason) ? signal.reason.code : undefined;
}

const probes: ModuleFactory = () => ({
  name: 'signal-probes',
  routes: [
    {
      method: 'GET',
      path: '/probe/wait',
      // Waits for the exchange's signal through AbortSignal.any and through a Node timer, then answers if it still can.
      handler(exchange: HttpExchange) {
        assert.ok(exchange.signal instanceof AbortSignal);
        const combined = AbortSignal.any([exchange.signal]);
        const ending = (async () => {
          const nodeTimer = await sleep(600_000, undefined, { signal: exchange.signal }).then(
            () => 'elapsed',
            (error: Error) => error.name,
          );
          return { code: reasonCode(exchange.signal), combined: combined.aborted && combined.reason === exchange.signal.reason, nodeTimer };
        })();
        endings.set(exchange.requestId, ending);
        return ending.then((seen) => sendJson(exchange.response, 200, seen));
      },
    },
    {
      method: 'GET',
      path: '/probe/late',
      // Reads nothing of the signal until the request has ended (timed out or left): the signal,
      // made only when first asked for, must then be aborted with the reason kept from before.
      handler(exchange: HttpExchange) {
        const ending = (async () => {
          const gone = new Promise<void>((resolve) => exchange.response.once('close', () => resolve()));
          await Promise.race([gone, sleep(600)]);
          await sleep(20);
          return { code: reasonCode(exchange.signal), aborted: exchange.signal.aborted, real: exchange.signal instanceof AbortSignal };
        })();
        lateEndings.set(exchange.requestId, ending);
        return ending.then((seen) => sendJson(exchange.response, 200, seen));
      },
    },
    {
      method: 'GET',
      path: '/probe/upstream',
      // An upstream call through the transport (undici) with the exchange's signal, then its listeners.
      async handler(exchange: HttpExchange) {
        const path = exchange.query.get('path')!;
        // With a total deadline the transport forwards the signal to one of its own; without, undici takes it as is.
        const timeouts = exchange.query.has('deadline') ? { totalMs: 600_000 } : 600_000;
        const outcome = await transport.send({ url: `${upstreamUrl}/${path}`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, timeouts, exchange.signal).then(
          (upstream) => upstream.text!(1024),
          (error: unknown) => (GatewayError.is(error) ? error.code : String(error)),
        );
        sendJson(exchange.response, 200, { outcome, reason: reasonCode(exchange.signal), listeners: getEventListeners(exchange.signal, 'abort').length });
      },
    },
  ],
});

before(async () => {
  silentUpstream = createServer((upstreamRequest, upstreamResponse) => {
    if (upstreamRequest.url === '/answer') upstreamResponse.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => silentUpstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(silentUpstream.address() as AddressInfo).port}`;
  strict = await startGateway({ server: { request_timeout_ms: 300 }, providers: { mock: { type: 'mock', models: ['m'] } } }, { modules: [probes] });
  patient = await startGateway({ providers: { mock: { type: 'mock', models: ['m'] } } }, { modules: [probes] });
});

after(async () => {
  await strict.close();
  await patient.close();
  await transport.destroy();
  silentUpstream.closeAllConnections();
  await new Promise((resolve) => silentUpstream.close(resolve));
});

test('on server.request_timeout_ms the signal aborts with upstream_timeout; AbortSignal.any and Node timers follow it', async () => {
  const response = await request(`${strict.url}/probe/wait`, { headers: { 'x-request-id': 'probe-timeout' } });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(await response.body.json(), { code: 'upstream_timeout', combined: true, nodeTimer: 'AbortError' });
});

test('when the caller disconnects the signal aborts with client_disconnected', async () => {
  await rawExchange(patient.url, async (socket) => {
    socket.write('GET /probe/wait HTTP/1.1\r\nhost: gateway\r\nx-request-id: probe-gone\r\n\r\n');
    while (!endings.has('probe-gone')) await sleep(5);
    socket.destroy();
  });
  assert.deepEqual(await endings.get('probe-gone'), { code: 'client_disconnected', combined: true, nodeTimer: 'AbortError' });
});

test('a signal first read after the request aborted is already aborted, with the reason of then', async () => {
  const timedOut = await request(`${strict.url}/probe/late`);
  assert.deepEqual(await timedOut.body.json(), { code: 'upstream_timeout', aborted: true, real: true });
  await rawExchange(patient.url, async (socket) => {
    socket.write('GET /probe/late HTTP/1.1\r\nhost: gateway\r\nx-request-id: probe-late-gone\r\n\r\n');
    while (!lateEndings.has('probe-late-gone')) await sleep(5);
    socket.destroy();
  });
  assert.deepEqual(await lateEndings.get('probe-late-gone'), { code: 'client_disconnected', aborted: true, real: true });
});

test('upstream calls leave no listener on the signal, answered or aborted; an aborted one fails with the signal\'s reason', async () => {
  for (const deadline of ['', '&deadline']) {
    const answered = await request(`${patient.url}/probe/upstream?path=answer${deadline}`);
    assert.deepEqual(await answered.body.json(), { outcome: '{"ok":true}', listeners: 0 }, `answered${deadline}`);
    const aborted = await request(`${strict.url}/probe/upstream?path=never${deadline}`);
    assert.deepEqual(await aborted.body.json(), { outcome: 'upstream_timeout', reason: 'upstream_timeout', listeners: 0 }, `aborted${deadline}`);
  }
});

test('a chat request still waiting for its provider at server.request_timeout_ms is a 504 upstream_timeout, not a 500', async () => {
  const fake = await startOpenAIFake();
  const gateway = await startGateway({
    server: { request_timeout_ms: 300 },
    providers: { openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: 'test-key-openai' }], models: ['gpt-4o'], max_retries: 0 } },
  });
  try {
    fake.enqueue({ text: 'too late', delayMs: 5000 });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hello' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.equal(error.status, 504);
      assert.equal(error.code, 'upstream_timeout');
      assert.match(error.message, /server\.request_timeout_ms/);
      return true;
    });
  } finally {
    await gateway.close();
    await fake.close();
  }
});
