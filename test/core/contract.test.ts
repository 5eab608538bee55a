import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startCli, type RunningCli } from '../helpers/cli.js';

/**
 * The contract tests outside the project rely on, through the real CLI: `--config --port --host`,
 * `GET /ready`, the documented config keys with `${VAR}` expansion, and `x-request-id`,
 * `x-tollgate-provider` and `x-tollgate-model` on every response.
 */

const KEY_A = 'sk-contract-key-a-0123456789';
const KEY_B = 'sk-contract-key-b-9876543210';

const CONFIG = `
storage: { type: memory }
providers:
  upstream:
    type: openai
    base_url: \${TOLLGATE_CONTRACT_BASE_URL}
    keys:
      - value: \${TOLLGATE_CONTRACT_KEY_A}
        weight: 1
        models: [model-a]
      - value: \${TOLLGATE_CONTRACT_KEY_B}
        weight: 1
    models: [model-a, model-b, text-embed]
    max_retries: 0
`;

let fake: FakeUpstream;
let cli: RunningCli;

before(async () => {
  fake = await startOpenAIFake();
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-contract-'));
  const file = join(dir, 'tollgate.yaml');
  await writeFile(file, CONFIG);
  const env = { ...process.env, TOLLGATE_CONTRACT_BASE_URL: `${fake.url}/v1`, TOLLGATE_CONTRACT_KEY_A: KEY_A, TOLLGATE_CONTRACT_KEY_B: KEY_B };
  cli = await startCli(['--config', file, '--port', '0', '--host', '127.0.0.1'], { cwd: dir, env });
});

after(async () => {
  assert.equal(await cli.stop(), 0);
  await fake.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${cli.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

function keyUsed(index: number): string {
  return String(fake.requests[index]!.headers.authorization).replace('Bearer ', '');
}

test('the CLI listens where --host says and GET /ready answers 200 once it serves', async () => {
  assert.match(cli.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const ready = await call('GET', '/ready');
  assert.equal(ready.status, 200);
  assert.equal(JSON.parse(ready.text).status, 'ready');
});

test('${VAR} keys with weights and per-key model lists: a model only one key may serve always uses that key', async () => {
  const before = fake.requests.length;
  for (let index = 0; index < 6; index++) {
    const answer = await call('POST', '/v1/chat/completions', { model: 'model-b', messages: [{ role: 'user', content: `b ${index}` }] });
    assert.equal(answer.status, 200, answer.text);
  }
  const used = new Set(Array.from({ length: fake.requests.length - before }, (_, offset) => keyUsed(before + offset)));
  assert.deepEqual([...used], [KEY_B]);

  // Both keys may serve model-a, at equal weight: over 40 requests each is chosen (all one key: p = 2⁻³⁹).
  const start = fake.requests.length;
  for (let index = 0; index < 40; index++) await call('POST', '/v1/chat/completions', { model: 'upstream/model-a', messages: [{ role: 'user', content: `a ${index}` }] });
  const both = new Set(Array.from({ length: fake.requests.length - start }, (_, offset) => keyUsed(start + offset)));
  assert.deepEqual([...both].sort(), [KEY_A, KEY_B].sort());
});

test('every response carries x-request-id, x-tollgate-provider and x-tollgate-model', async () => {
  const served: [string, Answer][] = [
    ['chat', await call('POST', '/v1/chat/completions', { model: 'model-a', messages: [{ role: 'user', content: 'hi' }] }, { 'x-request-id': 'contract-chat-1' })],
    ['stream', await call('POST', '/openai/v1/chat/completions', { model: 'upstream/model-a', stream: true, messages: [{ role: 'user', content: 'hi' }] })],
    ['embeddings', await call('POST', '/v1/embeddings', { model: 'upstream/text-embed', input: 'hello' })],
  ];
  fake.enqueue({ error: { status: 500, message: 'The server had an error.' } });
  const upstreamFailure = await call('POST', '/v1/chat/completions', { model: 'model-b', messages: [{ role: 'user', content: 'fail' }] });
  for (const [name, answer] of served) {
    assert.equal(answer.status, 200, `${name}: ${answer.text}`);
    assert.equal(answer.headers['x-tollgate-provider'], 'upstream', name);
  }
  assert.equal(served[0]![1].headers['x-request-id'], 'contract-chat-1');
  assert.equal(served[0]![1].headers['x-tollgate-model'], 'model-a');
  assert.equal(served[2]![1].headers['x-tollgate-model'], 'text-embed');
  assert.match(served[1]![1].text, /data: \[DONE\]\n\n$/);
  // A provider that answered with an error is still named: the caller sees who failed.
  assert.equal(upstreamFailure.status, 500);
  assert.equal(upstreamFailure.headers['x-tollgate-provider'], 'upstream');
  assert.equal(upstreamFailure.headers['x-tollgate-model'], 'model-b');
  // The provider's status and message are kept, minus any secret it echoes back.
  fake.enqueue({ error: { status: 400, message: `Invalid 'messages' for API key ${KEY_B}.` } });
  const echoed = await call('POST', '/v1/chat/completions', { model: 'model-b', messages: [{ role: 'user', content: 'echo' }] });
  assert.equal(echoed.status, 400);
  assert.match(JSON.parse(echoed.text).error.message, /^Invalid 'messages' for API key \[redacted\]/);

  const unserved: [string, Answer][] = [
    ['models', await call('GET', '/v1/models')],
    ['health', await call('GET', '/health')],
    ['ready', await call('GET', '/ready')],
    ['unknown route', await call('GET', '/v1/nothing')],
    ['wrong method', await call('GET', '/v1/chat/completions')],
    ['malformed JSON', await call('POST', '/v1/chat/completions', '{"model":')],
    ['missing messages', await call('POST', '/v1/chat/completions', { model: 'model-a' })],
    ['unknown model', await call('POST', '/v1/chat/completions', { model: 'gpt-unknown', messages: [{ role: 'user', content: 'x' }] })],
  ];
  assert.deepEqual(
    unserved.map(([name, answer]) => [name, answer.status]),
    [['models', 200], ['health', 200], ['ready', 200], ['unknown route', 404], ['wrong method', 405], ['malformed JSON', 400], ['missing messages', 400], ['unknown model', 404]],
  );
  for (const [name, answer] of [...served, ['upstream failure', upstreamFailure] as [string, Answer], ['upstream echo', echoed] as [string, Answer], ...unserved]) {
    assert.match(String(answer.headers['x-request-id']), /^[A-Za-z0-9._:-]+$/, name);
    assert.ok(answer.headers['x-tollgate-provider'], `${name}: x-tollgate-provider`);
    assert.ok(answer.headers['x-tollgate-model'], `${name}: x-tollgate-model`);
    const everything = `${JSON.stringify(answer.headers)}${answer.text}`;
    assert.ok(!everything.includes(KEY_A) && !everything.includes(KEY_B), `${name} leaks a provider key`);
  }
  for (const [name, answer] of unserved) assert.equal(answer.headers['x-tollgate-provider'], 'none', name);
});

test('logs are JSON lines; each request has one with its request id, and no provider key ever appears', async () => {
  const answer = await call('POST', '/v1/chat/completions', { model: 'model-a', messages: [{ role: 'user', content: 'log me' }] }, { 'x-request-id': 'contract-log-1' });
  assert.equal(answer.status, 200);
  const line = await cli.waitFor(/^.*"request_id":"contract-log-1".*$/m);
  const record = JSON.parse(line[0]) as Record<string, unknown>;
  assert.equal(record.msg, 'request');
  assert.equal(record.level, 'info');
  assert.equal(record.status, 200);
  assert.equal(record.provider, 'upstream');
  assert.equal(record.upstream_model, 'model-a');
  assert.equal(typeof record.time, 'string');
  for (const text of cli.output().split('\n').filter((text) => text.length > 0)) assert.doesNotThrow(() => JSON.parse(text), text);
  assert.ok(!cli.output().includes(KEY_A) && !cli.output().includes(KEY_B));
});
