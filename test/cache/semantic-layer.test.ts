import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { direction, startEmbeddingFake, type EmbeddingFake } from './embedding-fake.js';
import { ADMIN_TOKEN, adminCall, cacheConfig, KEY_A, KEY_B, startCached, tempDbPath } from './helpers.js';

/**
 * The semantic layer through the OpenAI SDK, with an embedding fake whose vectors set the
 * similarity: questions about France point along axis 0 (a paraphrase at cosine 0.97, a loose one
 * at 0.90), about bread along axis 2, about the weather along axis 4.
 */

let chatFake: FakeUpstream;
let vectors: EmbeddingFake;
let running: RunningGateway;
let dbPath: string;

function vectorOf(text: string): number[] {
  if (text.includes('paraphrase')) return direction(0, 0.97);
  if (text.includes('loosely')) return direction(0, 0.9);
  if (text.includes('France')) return direction(0);
  if (text.includes('bread')) return direction(2);
  return direction(4);
}

function config(): Record<string, unknown> {
  const base = cacheConfig(chatFake.url, { mode: 'semantic', embedding_model: 'vectors/embed-sem' }, { storage: { type: 'sqlite', path: dbPath } });
  return { ...base, providers: { ...(base.providers as object), vectors: { type: 'openai', base_url: `${vectors.url}/v1`, keys: [{ value: 'sk-' + 'test-vectors' }], models: ['embed-sem'], max_retries: 0 } }, pricing: { ...(base.pricing as object), 'vectors/embed-sem': { input: 100, output: 0 } } };
}

before(async () => {
  chatFake = await startOpenAIFake();
  vectors = await startEmbeddingFake(vectorOf);
  dbPath = await tempDbPath();
  running = await startCached(config());
});
after(async () => {
  await running.close();
  await chatFake.close();
  await vectors.close();
});

async function ask(key: string, messages: OpenAI.ChatCompletionMessageParam[], extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}, headers: Record<string, string> = {}) {
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: headers });
  const { data, response } = await client.chat.completions.create({ model: 'openai/gpt-test', messages, ...extra }).withResponse();
  return { text: data.choices[0]!.message.content, headers: response.headers };
}
const user = (content: string): OpenAI.ChatCompletionMessageParam[] => [{ role: 'user', content }];
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

test('a paraphrase hits semantically with its similarity and saved cost; an unrelated question does not', async () => {
  chatFake.enqueue({ text: 'Paris is the capital of France.', usage: { input: 20, output: 8 } });
  const first = await ask(KEY_A, user('What is the capital of France?'));
  assert.equal(first.headers.get('x-tollgate-cache'), 'miss');
  await settle();
  const chats = chatFake.requests.length;
  const paraphrase = await ask(KEY_A, user('Tell me the French capital (paraphrase of France question)'));
  assert.equal(paraphrase.headers.get('x-tollgate-cache'), 'hit-semantic');
  assert.equal(paraphrase.text, 'Paris is the capital of France.');
  assert.equal(paraphrase.headers.get('x-tollgate-cost'), '0');
  assert.ok(Math.abs(Number(paraphrase.headers.get('x-tollgate-cache-similarity')) - 0.97) < 0.001, paraphrase.headers.get('x-tollgate-cache-similarity')!);
  assert.ok(Number(paraphrase.headers.get('x-tollgate-cache-saved-usd')) > 0);
  assert.equal(chatFake.requests.length, chats, 'the hit never reached the chat upstream');

  const unrelated = await ask(KEY_A, user('How do I bake bread?'));
  assert.equal(unrelated.headers.get('x-tollgate-cache'), 'miss');
  assert.equal(chatFake.requests.length, chats + 1);
});

test('below the threshold (0.92 by default, or the request\'s) is a miss', async () => {
  await ask(KEY_A, user('Capital of France, once more?'));
  await settle();
  assert.equal((await ask(KEY_A, user('Something loosely about France'))).headers.get('x-tollgate-cache'), 'miss');
  assert.equal((await ask(KEY_A, user('A paraphrase about France'), {}, { 'x-tollgate-cache-threshold': '0.99' })).headers.get('x-tollgate-cache'), 'miss');
  assert.equal((await ask(KEY_A, user('Another paraphrase about France'), {}, { 'x-tollgate-cache-threshold': '0.95' })).headers.get('x-tollgate-cache'), 'hit-semantic');
});

test('another key never gets the answer; other answer-changing parameters never match', async () => {
  await ask(KEY_A, user('What is the capital of France? (temperature test)'), { temperature: 0 });
  await settle();
  assert.equal((await ask(KEY_B, user('paraphrase: France capital?'), { temperature: 0 })).headers.get('x-tollgate-cache'), 'miss');
  assert.equal((await ask(KEY_A, user('paraphrase: France capital?'), { temperature: 0.9 })).headers.get('x-tollgate-cache'), 'miss');
  assert.equal((await ask(KEY_A, user('paraphrase: France capital?'), { temperature: 0 })).headers.get('x-tollgate-cache'), 'hit-semantic');
});

test('prompts carrying tool results bypass the semantic layer (the exact layer still applies); long conversations too', async () => {
  const withTool: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'user', content: 'What is the weather in France?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"country":"FR"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'Sunny, 24°C' },
  ];
  const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { country: { type: 'string' } } } } }];
  const embedded = vectors.inputs.length;
  assert.equal((await ask(KEY_A, withTool, { tools })).headers.get('x-tollgate-cache'), 'miss');
  await settle();
  assert.equal((await ask(KEY_A, withTool, { tools })).headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(vectors.inputs.length, embedded, 'nothing was embedded for them');

  const long: OpenAI.ChatCompletionMessageParam[] = [];
  for (let turn = 0; turn < 3; turn++) long.push({ role: 'user', content: `turn ${turn} about France` }, { role: 'assistant', content: `answer ${turn}` });
  long.push({ role: 'user', content: 'and finally France?' });
  assert.equal((await ask(KEY_A, long)).headers.get('x-tollgate-cache'), 'miss');
  assert.equal(vectors.inputs.length, embedded, 'a conversation past conversation_history_threshold is not embedded');
});

test('the embedding call is a request of its own in the log: routed, priced, under the caller\'s key', async () => {
  const { headers } = await ask(KEY_A, user('Logged question about bread loaves?'));
  const requestId = headers.get('x-request-id')!;
  const logs = await adminCall(running.url, 'GET', `/admin/logs?request_id=${encodeURIComponent(`${requestId}.embedding`)}`);
  const record = (logs.body.logs as Record<string, unknown>[])[0]!;
  assert.equal(record.surface, 'internal');
  assert.equal(record.operation, 'embeddings');
  assert.equal(record.provider, 'vectors');
  assert.equal(record.virtual_key_id, 'alpha');
  assert.ok((record.cost_usd as number) > 0, JSON.stringify(record));
});

test('entries and vectors survive a restart; a new embedding dimension starts a new index instead of failing', async () => {
  await ask(KEY_A, user('Before restart: France and its capital?'));
  await settle();
  await running.close();
  running = await startCached(config());
  const after = await ask(KEY_A, user('After restart, a paraphrase on France'));
  assert.equal(after.headers.get('x-tollgate-cache'), 'hit-semantic');

  const previous = vectors.vectorOf;
  vectors.vectorOf = (text) => [...previous(text), 0, 0, 0, 0];
  try {
    const wider = await ask(KEY_A, user('Yet another paraphrase on France'));
    assert.equal(wider.headers.get('x-tollgate-cache'), 'miss');
    await settle();
    assert.equal((await ask(KEY_A, user('One more paraphrase on France'))).headers.get('x-tollgate-cache'), 'hit-semantic');
  } finally {
    vectors.vectorOf = previous;
  }
});

test('with vector_store qdrant the semantic layer works the same through the Qdrant adapter', async () => {
  const { startQdrantFake } = await import('../fakes/qdrant-fake.js');
  const qdrant = await startQdrantFake();
  const raw = config();
  const gateway = await startCached({ ...raw, storage: { type: 'memory' }, cache: { ...(raw.cache as object), vector_store: { type: 'qdrant', url: qdrant.url } } });
  try {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
    const call = (content: string) => client.chat.completions.create({ model: 'openai/gpt-test', messages: user(content) }).withResponse();
    chatFake.enqueue({ text: 'Paris, via Qdrant.' });
    assert.equal((await call('Qdrant: capital of France?')).response.headers.get('x-tollgate-cache'), 'miss');
    await settle();
    const hit = await call('Qdrant: a paraphrase on France');
    assert.equal(hit.response.headers.get('x-tollgate-cache'), 'hit-semantic');
    assert.equal(hit.data.choices[0]!.message.content, 'Paris, via Qdrant.');
    assert.equal(qdrant.collections.size, 1);
    assert.match([...qdrant.collections.keys()][0]!, /^tollgate_cache_[0-9a-f]{12}_8$/);
  } finally {
    await gateway.close();
    await qdrant.close();
  }
});

test('a key made through the admin API with mode semantic gets the semantic layer though no config entry asks for it', async () => {
  const raw = config();
  // Caching off at the top level: only the embedding model is configured.
  const gateway = await startCached({ ...raw, storage: { type: 'memory' }, cache: { enabled: false, embedding_model: 'vectors/embed-sem' } });
  try {
    const cacheView = async () => ((await adminCall(gateway.url, 'GET', '/admin/cache')).body as { enabled: boolean }).enabled;
    assert.equal(await cacheView(), false, 'no key and no config entry turns caching on yet');
    const created = await fetch(`${gateway.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'semantic-by-api', models: ['*'], cache: { enabled: true, mode: 'semantic' } }),
    });
    assert.equal(created.status, 201);
    const secret = ((await created.json()) as { value: string }).value;
    assert.equal(await cacheView(), true, 'the admin view counts the key made through the API');
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: secret, maxRetries: 0 });
    const call = (content: string) => client.chat.completions.create({ model: 'openai/gpt-test', messages: user(content) }).withResponse();
    chatFake.enqueue({ text: 'Paris, for the API key.' });
    assert.equal((await call('API key: capital of France?')).response.headers.get('x-tollgate-cache'), 'miss');
    await settle();
    const hit = await call('API key: a paraphrase on France');
    assert.equal(hit.response.headers.get('x-tollgate-cache'), 'hit-semantic');
    assert.equal(hit.data.choices[0]!.message.content, 'Paris, for the API key.');
    // A key of the config file, with the cache off at the top level, is not cached at all.
    const plain = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY_B, maxRetries: 0 });
    chatFake.enqueue({ text: 'uncached' });
    const { response } = await plain.chat.completions.create({ model: 'openai/gpt-test', messages: user('API key: capital of France?') }).withResponse();
    assert.equal(response.headers.get('x-tollgate-cache'), null);
  } finally {
    await gateway.close();
  }
});
