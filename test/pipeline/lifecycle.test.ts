import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { RequestContext } from '../../src/pipeline/context.js';
import type { GatewayModule, ModuleFactory } from '../../src/pipeline/module.js';
import { featureModules } from '../../src/server/modules.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/** Every request the observers heard end, by request id. */
const ended = new Map<string, { count: number; status: number; operation: string; errorCode: string | undefined }>();
const recorder: ModuleFactory = (): GatewayModule => ({
  name: 'recorder',
  stages: [
    {
      name: 'recorder',
      phase: 'observe',
      onRequestEnd(context: RequestContext) {
        const seen = ended.get(context.id);
        ended.set(context.id, { count: (seen?.count ?? 0) + 1, status: context.status, operation: context.operation, errorCode: context.error?.code });
      },
    },
  ],
});

let fake: FakeUpstream;
let running: RunningGateway;

before(async () => {
  fake = await startOpenAIFake();
  running = await startGateway(
    {
      providers: { alpha: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: 'sk-provider-key-alpha' }], models: ['echo'] } },
      virtual_keys: [{ id: 'caller', value: 'vk-test-caller', models: ['*'] }],
      server: { request_timeout_ms: 400 },
    },
    { modules: [...featureModules, recorder] },
  );
});

after(async () => {
  await running.close();
  await fake.close();
});

let sequence = 0;
async function send(method: string, path: string, options: { body?: string; key?: boolean; contentType?: string } = {}): Promise<{ id: string; status: number; text: string }> {
  const id = `lifecycle-${++sequence}`;
  const headers: Record<string, string> = { 'x-request-id': id, 'content-type': options.contentType ?? 'application/json' };
  if (options.key !== false) headers.authorization = 'Bearer vk-test-caller';
  const response = await fetch(`${running.url}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: options.body }) });
  return { id, status: response.status, text: await response.text() };
}

const chat = JSON.stringify({ model: 'alpha/echo', messages: [{ role: 'user', content: 'hi' }] });
const upload = ['--b', 'content-disposition: form-data; name="file"; filename="a.wav"', 'content-type: audio/wav', '', 'RIFF', '--b', 'content-disposition: form-data; name="model"', '', 'alpha/echo', '--b--', ''].join('\r\n');
const multipart = 'multipart/form-data; boundary=b';
const ROUTES: { name: string; method: string; path: string; body?: string; key?: boolean; contentType?: string; status: number; operation?: string }[] = [
  { name: 'chat completions', method: 'POST', path: '/v1/chat/completions', body: chat, status: 200 },
  { name: 'chat completions without a key', method: 'POST', path: '/v1/chat/completions', body: chat, key: false, status: 401 },
  { name: 'chat completions with bad JSON', method: 'POST', path: '/openai/v1/chat/completions', body: '{"model":', status: 400 },
  { name: 'embeddings', method: 'POST', path: '/v1/embeddings', body: JSON.stringify({ model: 'alpha/echo', input: 'hi' }), status: 200 },
  { name: 'embeddings without a key', method: 'POST', path: '/v1/embeddings', body: JSON.stringify({ model: 'alpha/echo', input: 'hi' }), key: false, status: 401 },
  { name: 'model list', method: 'GET', path: '/v1/models', status: 200 },
  { name: 'model list without a key', method: 'GET', path: '/openai/v1/models', key: false, status: 401 },
  { name: 'one model', method: 'GET', path: '/v1/models/alpha/echo', status: 200 },
  { name: 'an unknown model', method: 'GET', path: '/v1/models/nowhere', status: 404 },
  { name: 'responses', method: 'POST', path: '/v1/responses', body: JSON.stringify({ model: 'alpha/echo', input: 'hi' }), status: 200 },
  { name: 'anthropic messages', method: 'POST', path: '/anthropic/v1/messages', body: JSON.stringify({ model: 'alpha/echo', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), status: 200 },
  { name: 'anthropic messages refused', method: 'POST', path: '/anthropic/v1/messages', body: JSON.stringify({ model: 'alpha/echo', messages: 'not a list' }), status: 400 },
  { name: 'gemini generateContent', method: 'POST', path: '/gemini/v1beta/models/alpha/echo:generateContent', body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }), status: 200 },
  { name: 'anthropic count_tokens', method: 'POST', path: '/anthropic/v1/messages/count_tokens', body: JSON.stringify({ model: 'alpha/echo', messages: [{ role: 'user', content: 'hi' }] }), status: 200 },
  { name: 'gemini countTokens', method: 'POST', path: '/gemini/v1beta/models/alpha/echo:countTokens', body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }), status: 200 },
  { name: 'anthropic model list', method: 'GET', path: '/anthropic/v1/models', status: 200 },
  { name: 'gemini model list', method: 'GET', path: '/gemini/v1beta/models', status: 200 },
  { name: 'text completions', method: 'POST', path: '/v1/completions', body: JSON.stringify({ model: 'alpha/echo', prompt: 'hi' }), status: 200, operation: 'completions' },
  { name: 'text completions streamed', method: 'POST', path: '/openai/v1/completions', body: JSON.stringify({ model: 'alpha/echo', prompt: 'hi', stream: true }), status: 200 },
  { name: 'text completions without a prompt', method: 'POST', path: '/v1/completions', body: JSON.stringify({ model: 'alpha/echo' }), status: 400 },
  { name: 'moderations', method: 'POST', path: '/v1/moderations', body: JSON.stringify({ model: 'alpha/echo', input: 'hi' }), status: 200, operation: 'moderations' },
  { name: 'moderations without a key', method: 'POST', path: '/v1/moderations', body: JSON.stringify({ input: 'hi' }), key: false, status: 401 },
  { name: 'rerank on a provider without it', method: 'POST', path: '/v1/rerank', body: JSON.stringify({ model: 'alpha/echo', query: 'q', documents: ['d'] }), status: 400, operation: 'rerank' },
  { name: 'rerank with bad documents', method: 'POST', path: '/v1/rerank', body: JSON.stringify({ model: 'alpha/echo', query: 'q', documents: 'd' }), status: 400 },
  { name: 'image generation', method: 'POST', path: '/v1/images/generations', body: JSON.stringify({ model: 'alpha/echo', prompt: 'a boat' }), status: 200, operation: 'images' },
  { name: 'image generation with a bad n', method: 'POST', path: '/v1/images/generations', body: JSON.stringify({ model: 'alpha/echo', prompt: 'a boat', n: 0 }), status: 400 },
  { name: 'image generation without a key', method: 'POST', path: '/openai/v1/images/generations', body: JSON.stringify({ model: 'alpha/echo', prompt: 'a boat' }), key: false, status: 401 },
  { name: 'pass-through, the provider answering 404 itself', method: 'GET', path: '/passthrough/alpha/fine_tuning/jobs', status: 404 },
  { name: 'pass-through to an unknown provider', method: 'GET', path: '/passthrough/nowhere/files', status: 404 },
  { name: 'speech', method: 'POST', path: '/v1/audio/speech', body: JSON.stringify({ model: 'alpha/echo', voice: 'alloy', input: 'hi' }), status: 200 },
  { name: 'speech without a key', method: 'POST', path: '/openai/v1/audio/speech', body: JSON.stringify({ model: 'alpha/echo', voice: 'alloy', input: 'hi' }), key: false, status: 401 },
  { name: 'transcription', method: 'POST', path: '/v1/audio/transcriptions', body: upload, contentType: multipart, status: 200 },
  { name: 'transcription not multipart', method: 'POST', path: '/v1/audio/transcriptions', body: '{}', status: 415 },
  { name: 'translation', method: 'POST', path: '/openai/v1/audio/translations', body: upload, contentType: multipart, status: 200 },
];

for (const route of ROUTES) {
  test(`${route.name}: finished and observed exactly once, with the status the caller got`, async () => {
    const answer = await send(route.method, route.path, route);
    assert.equal(answer.status, route.status, answer.text);
    // Observers hear the end once the answer is written; give the event loop a turn.
    await new Promise((resolve) => setImmediate(resolve));
    const seen = ended.get(answer.id);
    assert.equal(seen?.count, 1, `${route.method} ${route.path} was observed ${seen?.count ?? 0} times`);
    assert.equal(seen?.status, route.status);
    if (route.operation !== undefined) assert.equal(seen?.operation, route.operation);
  });
}

test('request_timeout_ms before the upstream answers: 504 upstream_timeout, observed once', async () => {
  fake.enqueue({ text: 'late', finish: 'stop', delayMs: 3000 });
  const answer = await send('POST', '/v1/chat/completions', { body: chat });
  assert.equal(answer.status, 504, answer.text);
  assert.equal(JSON.parse(answer.text).error.code, 'upstream_timeout');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(ended.get(answer.id)?.errorCode, 'upstream_timeout');
});

test('request_timeout_ms in the middle of a stream: the stream ends with an error event and closes', async () => {
  fake.enqueue({ text: 'one two three four five six seven eight nine ten', finish: 'stop', eventIntervalMs: 150 });
  const answer = await send('POST', '/v1/chat/completions', { body: JSON.stringify({ model: 'alpha/echo', messages: [{ role: 'user', content: 'hi' }], stream: true }) });
  assert.equal(answer.status, 200);
  const events = answer.text.split('\n\n').filter((frame) => frame.startsWith('data: '));
  assert.ok(events.length >= 2, answer.text);
  const last = events.at(-1)!;
  assert.equal(last, 'data: [DONE]');
  const error = JSON.parse(events.at(-2)!.slice('data: '.length));
  assert.equal(error.error.code, 'upstream_timeout');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(ended.get(answer.id)?.errorCode, 'upstream_timeout');
});

test('request_timeout_ms after the upstream\'s headers, before its whole body: 504 upstream_timeout', async () => {
  // Headers at once, then a body that never finishes.
  const stalled = createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"id":"chatcmpl-stalled","object":"chat.completion",');
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  const gateway = await startGateway({
    providers: { slow: { type: 'openai', base_url: `http://127.0.0.1:${(stalled.address() as AddressInfo).port}/v1`, keys: [{ value: 'sk-slow' }], models: ['echo'] } },
    server: { request_timeout_ms: 300 },
  });
  try {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'slow/echo', messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(response.status, 504);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'upstream_timeout');
  } finally {
    await gateway.close();
    stalled.closeAllConnections();
    await new Promise((resolve) => stalled.close(resolve));
  }
});
