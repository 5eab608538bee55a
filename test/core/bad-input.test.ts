import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

let running: RunningGateway;

before(async () => {
  running = await startGateway({ server: { max_body_bytes: 4096 }, providers: { mock: { type: 'mock', models: ['m'] } } });
});
after(() => running.close());

async function post(path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await request(`${running.url}${path}`, { method: 'POST', body, headers });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, json: JSON.parse(text) as { error: { message: string; type: string; code: string; param: string | null } } };
}

test('malformed JSON is a 400 invalid_json naming the position', async () => {
  const { status, json, headers } = await post('/v1/chat/completions', '{"model": "mock/m", "messages": [}');
  assert.equal(status, 400);
  assert.equal(json.error.code, 'invalid_json');
  assert.equal(json.error.type, 'invalid_request_error');
  assert.match(json.error.message, /position \d+/);
  assert.ok(headers['x-request-id']);
});

test('a body over the limit is a 413', async () => {
  const { status, json } = await post('/v1/chat/completions', JSON.stringify({ model: 'mock/m', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }));
  assert.equal(status, 413);
  assert.equal(json.error.code, 'body_too_large');
});

test('a body over the limit without a length (chunked) is a 413 that closes the connection, and the next request is served', async () => {
  async function* chunks() {
    for (let index = 0; index < 8; index++) yield Buffer.alloc(1024, 0x20);
  }
  for (const body of [Readable.from(chunks()), Buffer.alloc(8192, 0x20)]) {
    const refused = await request(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(refused.statusCode, 413);
    assert.equal(refused.headers.connection, 'close', 'the unread rest of the body makes the connection unusable');
    assert.equal(((await refused.body.json()) as { error: { code: string } }).error.code, 'body_too_large');
    for (let index = 0; index < 3; index++) {
      const next = await post('/v1/chat/completions', JSON.stringify({ model: 'mock/m', messages: [{ role: 'user', content: 'after' }] }));
      assert.equal(next.status, 200);
    }
  }
});

test('JSON nested too deeply to walk is a 400 naming the problem, streamed or not, in a tool schema or an extra field', async () => {
  const roomy = await startGateway({ providers: { mock: { type: 'mock', models: ['m'] } } });
  try {
    const depth = 100_000;
    const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const bodies = [
      `{"model":"mock/m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${nested}}}]}`,
      `{"model":"mock/m","stream":true,"messages":[{"role":"user","content":"x"}],"custom_field":${nested}}`,
    ];
    for (const body of bodies) {
      const response = await request(`${roomy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await response.body.json()) as { error: { code: string; message: string } };
      assert.equal(response.statusCode, 400);
      assert.equal(json.error.code, 'invalid_request');
      assert.match(json.error.message, /nests JSON values too deeply/);
    }
    const health = await request(`${roomy.url}/health`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
  } finally {
    await roomy.close();
  }
});

test('wrong types and missing fields are 400s with the param', async () => {
  const cases: [unknown, string][] = [
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [{ model: 'mock/m' }, 'messages'],
    [{ model: 'mock/m', messages: 'hello' }, 'messages'],
    [{ model: 42, messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [[1, 2, 3], ''],
  ];
  for (const [body, param] of cases) {
    const { status, json } = await post('/v1/chat/completions', JSON.stringify(body));
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(json.error.code, 'invalid_request');
    if (param) assert.ok(json.error.param?.startsWith(param), `${JSON.stringify(body)} → param ${json.error.param}`);
  }
});

test('an Anthropic content block whose type is an object is a 400 naming the param, not a 500', async () => {
  const hostile = { toString: 1 };
  for (const [messages, param] of [
    [[{ role: 'user', content: [{ type: hostile }] }], 'messages[0].content[0].type'],
    [[{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: hostile }] }], 'messages[1].content[0].type'],
    [[{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: hostile }] }] }], 'messages[0].content[0].content[0].type'],
  ] as const) {
    const response = await request(`${running.url}/anthropic/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/m', max_tokens: 5, messages }) });
    const body = (await response.body.json()) as { type: string; error: { type: string; code: string; param: string; message: string } };
    assert.equal(response.statusCode, 400, JSON.stringify(body));
    assert.deepEqual([body.type, body.error.type, body.error.code, body.error.param], ['error', 'invalid_request_error', 'invalid_request', param]);
    assert.match(body.error.message, /must be a string, got an object/);
  }
});

test('unknown routes are 404 and wrong methods 405, in the OpenAI envelope', async () => {
  const missing = await request(`${running.url}/v1/nothing-here`);
  assert.equal(missing.statusCode, 404);
  assert.equal(((await missing.body.json()) as { error: { code: string } }).error.code, 'route_not_found');
  const wrong = await request(`${running.url}/v1/chat/completions`, { method: 'GET' });
  assert.equal(wrong.statusCode, 405);
  assert.equal(wrong.headers.allow, 'POST');
  await wrong.body.dump();
});

test('hostile request ids are replaced, not echoed', async () => {
  const response = await request(`${running.url}/health`, { headers: { 'x-request-id': 'bad id with spaces <script>' } });
  await response.body.dump();
  assert.notEqual(response.headers['x-request-id'], 'bad id with spaces <script>');
  assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('a garbage HTTP request gets a 400 and the server keeps serving', async () => {
  const reply = await new Promise<string>((resolve) => {
    const socket = connect(Number(new URL(running.url).port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('close', () => resolve(data));
  });
  assert.match(reply, /^HTTP\/1\.1 400/);
  assert.match(reply, /\r\nx-request-id: [0-9a-f-]{36}\r\n/);
  assert.match(reply, /\r\nx-tollgate-provider: none\r\nx-tollgate-model: none\r\n/);
  const health = await request(`${running.url}/health`);
  assert.equal(health.statusCode, 200);
  await health.body.dump();
});

test('health and readiness', async () => {
  const ready = await request(`${running.url}/ready`);
  assert.equal(ready.statusCode, 200);
  assert.equal(((await ready.body.json()) as { status: string }).status, 'ready');
});
