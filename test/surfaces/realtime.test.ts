import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { WebSocket } from 'ws';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { startRealtimeFake, type RealtimeFake } from '../fakes/openai-realtime-fake.js';
import { admin, ADMIN_TOKEN } from '../governance/helpers.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * `GET /v1/realtime` through the gateway to a realtime fake on loopback (OpenAI's and Azure's
 * handshakes), driven by `ws` clients and the `openai` SDK's realtime client: keys by header and
 * subprotocol, each response a priced, logged and budgeted turn, limits on time and size, and the
 * provider key never seen by the caller.
 */

const PROVIDER_KEY = 'sk-proj-' + 'realtimeProviderKey0123456789';
const VIRTUAL_KEY = 'vk-test-' + 'realtime-all';
const TEXT_ONLY = 'vk-test-' + 'realtime-text-only';
const SMALL_BUDGET = 'vk-test-' + 'realtime-small-budget';
const MAX_MESSAGE = 256 * 1024;

let fake: RealtimeFake;
let broken: RealtimeFake;
let running: RunningGateway;

before(async () => {
  fake = await startRealtimeFake();
  broken = await startRealtimeFake();
  broken.refuseWith = 503;
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: {
      openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['gpt-realtime', 'gpt-4o-mini'], max_retries: 0 },
      azure: { type: 'azure', base_url: fake.url, keys: [{ value: PROVIDER_KEY }], models: ['azure-realtime'], options: { deployments: { 'azure-realtime': 'rt-east' } }, max_retries: 0 },
      refusing: { type: 'openai', base_url: `${broken.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['gpt-realtime-preview'], max_retries: 0 },
      chatty: { type: 'groq', base_url: `${fake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['llama-voice'], max_retries: 0 },
    },
    routes: { voice: { targets: [{ model: 'refusing/gpt-realtime-preview' }], fallbacks: ['openai/gpt-realtime'] } },
    // USD per million tokens: text 4 in, 16 out; audio 32 in, 64 out; cached 0.4.
    pricing: {
      // A turn's reservation assumes at most 100 output tokens: $0.0016.
      'openai/gpt-realtime': { input: 4, output: 16, cached_input: 0.4, input_audio: 32, output_audio: 64, cached_audio_input: 0.4, max_output_tokens: 100 },
      'refusing/gpt-realtime-preview': { input: 4, output: 16 },
      'azure/azure-realtime': { input: 4, output: 16 },
    },
    realtime: { max_message_bytes: MAX_MESSAGE },
    virtual_keys: [
      { id: 'all', value: VIRTUAL_KEY, models: ['*'] },
      { id: 'text-only', value: TEXT_ONLY, models: ['gpt-4o-mini'] },
      { id: 'small-budget', value: SMALL_BUDGET, models: ['*'], budgets: [{ max_usd: 0.005 }] },
    ],
  });
});
after(async () => {
  await running?.close();
  await fake?.close();
  await broken?.close();
});

const wsUrl = (path = '/v1/realtime?model=gpt-realtime'): string => `${running.url.replace(/^http/, 'ws')}${path}`;

/** A caller's socket, its events as they come, and the upgrade's answer. */
interface Caller {
  socket: WebSocket;
  events: Record<string, unknown>[];
  upgrade: IncomingMessage;
  /** Resolves with the first event of `type` (from those received so far or later). */
  next(type: string): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

function connect(path: string | undefined, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<Caller> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(path), options.protocols ?? [], { headers: options.headers ?? { authorization: `Bearer ${VIRTUAL_KEY}` } });
    const events: Record<string, unknown>[] = [];
    const waiters: { type: string; resolve: (event: Record<string, unknown>) => void }[] = [];
    const closed = new Promise<{ code: number; reason: string }>((done) => socket.on('close', (code, reason) => done({ code, reason: reason.toString() })));
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString()) as Record<string, unknown>;
      events.push(event);
      for (const waiter of waiters.splice(0)) {
        if (waiter.type === event.type) waiter.resolve(event);
        else waiters.push(waiter);
      }
    });
    socket.once('upgrade', (upgrade) => {
      socket.once('open', () =>
        resolve({
          socket,
          events,
          upgrade,
          closed,
          next: (type) => {
            const seen = events.find((event) => event.type === type);
            return seen !== undefined ? Promise.resolve(seen) : new Promise((found) => waiters.push({ type, resolve: found }));
          },
        }),
      );
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => reject(Object.assign(new Error(`refused ${response.statusCode}`), { status: response.statusCode, body, headers: response.headers })));
    });
    socket.once('error', reject);
  });
}

async function refused(path: string | undefined, options: Parameters<typeof connect>[1] = {}): Promise<{ status: number; code: string; body: string; headers: IncomingMessage['headers'] }> {
  try {
    const caller = await connect(path, options);
    caller.socket.close();
  } catch (error) {
    const { status, body, headers } = error as { status: number; body: string; headers: IncomingMessage['headers'] };
    return { status, code: (JSON.parse(body) as { error: { code: string } }).error.code, body, headers };
  }
  throw new Error('the upgrade was accepted');
}

async function records(filter: string): Promise<RequestRecord[]> {
  // The request log is written in batches: wait for the turn's record to land.
  for (let attempt = 0; attempt < 50; attempt++) {
    const answer = await admin(running.url, 'GET', `/admin/logs?${filter}`);
    const logs = answer.body.logs as RequestRecord[];
    if (logs.length > 0) return logs;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return [];
}

test('a session relays events both ways; each response.done is priced and logged as its own record with the session id', async () => {
  const handshakes = fake.handshakes.length;
  const caller = await connect(undefined, { headers: { authorization: `Bearer ${VIRTUAL_KEY}`, 'openai-beta': 'realtime=v1' } });
  const sessionId = String(caller.upgrade.headers['x-request-id']);
  assert.equal(caller.upgrade.headers['x-tollgate-provider'], 'openai');
  assert.equal(caller.upgrade.headers['x-tollgate-model'], 'gpt-realtime');
  assert.equal(caller.upgrade.headers['x-tollgate-cost'], '0');
  const created = await caller.next('session.created');
  assert.equal((created.session as { model: string }).model, 'gpt-realtime');

  // The provider saw the gateway's key, never the caller's, and the caller's choice of interface.
  const handshake = fake.handshakes[handshakes]!;
  assert.equal(handshake.url, '/v1/realtime?model=gpt-realtime');
  assert.equal(handshake.headers.authorization, `Bearer ${PROVIDER_KEY}`);
  assert.equal(handshake.headers['openai-beta'], 'realtime=v1');

  for (let turn = 1; turn <= 2; turn++) {
    caller.socket.send(JSON.stringify({ type: 'response.create', response: { modalities: ['audio', 'text'] } }));
    const done = await new Promise<Record<string, unknown>>((resolve) => {
      const check = (): void => {
        const found = caller.events.filter((event) => event.type === 'response.done');
        if (found.length >= turn) resolve(found[turn - 1]!);
        else setTimeout(check, 5);
      };
      check();
    });
    assert.equal((done.response as { id: string }).id.startsWith('resp_'), true);
    assert.equal(done.x_tollgate_cost, '0.003888', 'the response\'s cost rides on its response.done');
  }
  assert.ok(caller.events.some((event) => event.type === 'response.audio.delta'), 'audio deltas reach the caller');
  caller.socket.close(1000);
  assert.equal((await caller.closed).code, 1000);

  const logged = await records(`session_id=${encodeURIComponent(sessionId)}`);
  assert.equal(logged.length, 2, 'one record per response');
  for (const record of logged) {
    assert.equal(record.operation, 'realtime');
    assert.equal(record.session_id, sessionId);
    assert.equal(record.provider, 'openai');
    assert.equal(record.model, 'gpt-realtime');
    assert.equal(record.virtual_key_id, 'all');
    assert.equal(record.status, 200);
    assert.equal(record.input_tokens, 100);
    assert.equal(record.output_tokens, 50);
    assert.equal(record.cached_input_tokens, 20);
    assert.equal(record.input_audio_tokens, 40);
    assert.equal(record.output_audio_tokens, 40);
    assert.equal(record.stop_reason, 'stop');
    // Per million: text in 100 - 20 cached - 30 uncached audio = 50 at $4; cached 10 text and 10 audio at $0.4;
    // audio in 30 at $32; text out 10 at $16; audio out 40 at $64: $0.003888.
    assert.equal(record.cost_exact, '0.003888');
  }
  assert.deepEqual(logged.map((record) => record.request_id).sort(), [`${sessionId}.1`, `${sessionId}.2`]);
});

test("OpenAI's browser subprotocols: the key in `openai-insecure-api-key.*` authenticates and never goes upstream; `realtime` is the protocol chosen", async () => {
  const handshakes = fake.handshakes.length;
  const caller = await connect(undefined, { headers: {}, protocols: ['realtime', `openai-insecure-api-key.${VIRTUAL_KEY}`, 'openai-beta.realtime-v1'] });
  assert.equal(caller.socket.protocol, 'realtime');
  await caller.next('session.created');
  const handshake = fake.handshakes[handshakes]!;
  assert.equal(handshake.headers['sec-websocket-protocol'], undefined);
  assert.equal(handshake.headers.authorization, `Bearer ${PROVIDER_KEY}`);
  assert.equal(handshake.headers['openai-beta'], 'realtime=v1');
  assert.ok(!JSON.stringify(handshake.headers).includes(VIRTUAL_KEY));
  caller.socket.close();
  await caller.closed;
});

test('refused upgrades answer in OpenAI\'s envelope: no key, a model the key may not use, no model, a provider without realtime', async () => {
  assert.deepEqual(pick(await refused(undefined, { headers: {} })), { status: 401, code: 'invalid_api_key' });
  assert.deepEqual(pick(await refused(undefined, { headers: { authorization: `Bearer ${TEXT_ONLY}` } })), { status: 403, code: 'model_not_allowed' });
  assert.deepEqual(pick(await refused('/v1/realtime')), { status: 400, code: 'invalid_request' });
  assert.deepEqual(pick(await refused('/v1/realtime?model=llama-voice')), { status: 400, code: 'operation_not_supported' });
  const failed = await records('error_code=operation_not_supported');
  assert.equal(failed[0]!.operation, 'realtime', 'a session that failed to open is logged');
});

function pick(answer: { status: number; code: string }): { status: number; code: string } {
  return { status: answer.status, code: answer.code };
}

test('a provider that refuses the handshake falls back before the session starts, its key scrubbed from the error', async () => {
  const alone = await refused('/v1/realtime?model=refusing/gpt-realtime-preview');
  assert.equal(alone.status, 503);
  assert.equal(alone.code, 'upstream_error');
  assert.ok(!alone.body.includes(PROVIDER_KEY), alone.body);
  assert.equal(broken.handshakes.length, 1);

  const caller = await connect('/v1/realtime?model=voice');
  assert.equal(caller.upgrade.headers['x-tollgate-provider'], 'openai');
  assert.equal(caller.upgrade.headers['x-tollgate-attempts'], '2');
  await caller.next('session.created');
  caller.socket.close();
  await caller.closed;
  assert.equal(broken.handshakes.length, 2);
  const logged = await records(`request_id=${encodeURIComponent(String(caller.upgrade.headers['x-request-id']))}&kind=all`);
  assert.equal(logged.length, 0, 'a session that opened is no request of its own');
  const failed = (await records('error_code=upstream_auth_failed'))[0]!;
  assert.equal(failed, undefined, 'the failed attempt of a session that opened is not logged either');
});

test('Azure: the deployment and realtime api-version in the URL, the key in `api-key`', async () => {
  const handshakes = fake.handshakes.length;
  const caller = await connect('/openai/v1/realtime?model=azure-realtime');
  await caller.next('session.created');
  const handshake = fake.handshakes[handshakes]!;
  assert.equal(handshake.url, '/openai/realtime?api-version=2024-10-01-preview&deployment=rt-east');
  assert.equal(handshake.headers['api-key'], PROVIDER_KEY);
  assert.equal(handshake.headers.authorization, undefined);
  caller.socket.close();
  await caller.closed;
});

test('a response the server starts on its own (voice activity) is a turn too', async () => {
  const caller = await connect(undefined);
  const sessionId = String(caller.upgrade.headers['x-request-id']);
  caller.socket.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: Buffer.alloc(3200).toString('base64') }));
  caller.socket.send(JSON.stringify({ type: 'input_audio_buffer.commit' }));
  await caller.next('response.done');
  caller.socket.close();
  await caller.closed;
  const logged = await records(`session_id=${encodeURIComponent(sessionId)}`);
  assert.equal(logged.length, 1);
  assert.equal(logged[0]!.cost_exact, '0.003888');
});

test('the provider key never reaches the caller, whatever the provider sends', async () => {
  const caller = await connect(undefined);
  caller.socket.send(JSON.stringify({ type: 'test.echo_key' }));
  const error = await caller.next('error');
  const message = (error.error as { message: string }).message;
  assert.ok(!message.includes(PROVIDER_KEY), message);
  assert.match(message, /\[redacted\]/);
  caller.socket.close();
  await caller.closed;
});

test('a key over budget gets an `error` event and the socket closed with 4402 between responses; the next response never reaches the provider', async () => {
  const caller = await connect(undefined, { headers: { authorization: `Bearer ${SMALL_BUDGET}` } });
  await caller.next('session.created');
  const asked = fake.received.filter((type) => type === 'response.create').length;
  caller.socket.send(JSON.stringify({ type: 'response.create' }));
  await caller.next('response.done');
  // $0.003888 spent of $0.005: no room for another response's reservation of $0.0016.
  const error = await caller.next('error');
  assert.equal((error.error as { code: string }).code, 'budget_exceeded');
  const closed = await caller.closed;
  assert.equal(closed.code, 4402);
  assert.equal(fake.received.filter((type) => type === 'response.create').length, asked + 1);
  // A new session is refused at the door.
  assert.deepEqual(pick(await refused(undefined, { headers: { authorization: `Bearer ${SMALL_BUDGET}` } })), { status: 402, code: 'budget_exceeded' });
});

test('messages past realtime.max_message_bytes close the session (1009) both ways', async () => {
  const caller = await connect(undefined);
  await caller.next('session.created');
  caller.socket.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: 'A'.repeat(MAX_MESSAGE) }));
  assert.equal((await caller.closed).code, 1009);

  const second = await connect(undefined);
  await second.next('session.created');
  second.socket.send(JSON.stringify({ type: 'test.big', bytes: MAX_MESSAGE * 2 }));
  const closed = await second.closed;
  assert.ok(closed.code === 1009 || closed.code === 1011, String(closed.code));
  assert.equal(second.events.some((event) => event.type === 'test.big'), false);
});

test('backpressure: a caller that stops reading stops the gateway reading from the provider, and everything arrives in order once it reads again', async () => {
  const caller = await connect(undefined);
  await caller.next('session.created');
  const count = 240;
  const bytes = 200 * 1024;
  caller.socket.pause();
  caller.socket.send(JSON.stringify({ type: 'test.flood', count, bytes }));
  // The flood (48 MB) stays queued at the provider rather than in the gateway's memory: the gateway
  // holds at most its high-water mark and a message, and the kernel's socket buffers the rest.
  // Waits until the bytes stop moving (three equal readings in a row), then reads where they stopped:
  // without backpressure the gateway would have taken them all (0 left at the provider).
  let queued = -1;
  for (let wait = 0, same = 0; wait < 300 && same < 3; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = fake.buffered;
    same = now === queued ? same + 1 : 0;
    queued = now;
  }
  assert.ok(queued >= 24 * 1024 * 1024, `the provider still has ${queued} bytes queued`);
  caller.socket.resume();
  for (let wait = 0; wait < 1000 && caller.events.filter((event) => event.type === 'test.flood').length < count; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
  const flood = caller.events.filter((event) => event.type === 'test.flood');
  assert.equal(flood.length, count);
  assert.deepEqual(
    flood.map((event) => event.index),
    Array.from({ length: count }, (_, index) => index),
  );
  caller.socket.close();
  await caller.closed;
});

test('the provider closing the session closes the caller\'s with its code', async () => {
  const caller = await connect(undefined);
  await caller.next('session.created');
  caller.socket.send(JSON.stringify({ type: 'test.close', code: 4000 }));
  assert.equal((await caller.closed).code, 4000);
});

test('realtime.max_session_seconds ends a session with `session_expired` and code 4408', async () => {
  const short = await startGateway({
    providers: { openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['gpt-realtime'] } },
    realtime: { max_session_seconds: 1 },
  });
  try {
    const socket = new WebSocket(`${short.url.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`);
    const events: { type: string; error?: { code: string } }[] = [];
    socket.on('message', (data) => events.push(JSON.parse(data.toString()) as (typeof events)[number]));
    const closed = await new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    assert.equal(closed, 4408);
    assert.equal(events.at(-1)?.error?.code, 'session_expired');
  } finally {
    await short.close();
  }
});

test('the openai SDK realtime client (OpenAIRealtimeWS, wss) works against the gateway', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-realtime-tls-'));
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const ca = await readFile(join(dir, 'cert.pem'));
  const secure = await startGateway({
    server: { tls: { cert_file: join(dir, 'cert.pem'), key_file: join(dir, 'key.pem') } },
    providers: { openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['gpt-realtime'] } },
    virtual_keys: [{ id: 'sdk', value: VIRTUAL_KEY, models: ['gpt-realtime'] }],
  });
  try {
    const client = new OpenAI({ baseURL: `${secure.url}/v1`, apiKey: VIRTUAL_KEY });
    const realtime = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca } }, client);
    const done = new Promise<unknown>((resolve, reject) => {
      realtime.on('response.done', resolve);
      realtime.on('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      realtime.socket.once('open', () => resolve());
      realtime.socket.once('error', reject);
    });
    realtime.send({ type: 'response.create' });
    const event = (await done) as { response: { usage: { input_tokens: number } } };
    assert.equal(event.response.usage.input_tokens, 100);
    realtime.close();
  } finally {
    await secure.close();
  }
});
