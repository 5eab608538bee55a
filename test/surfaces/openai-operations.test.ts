import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { request } from 'undici';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { startCohereFake } from '../fakes/cohere-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { FAKE_PNG_BASE64, startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

// Made-up secrets, split so that scanners do not flag them.
const OPENAI_KEY = 'sk-proj-' + 'fakeOperationsKey000000';
const ALL_KEY = 'vk-test-' + 'operations-all';
const NARROW_KEY = 'vk-test-' + 'operations-narrow';

let openai: FakeUpstream;
let vllm: FakeUpstream;
let anthropic: FakeUpstream;
let cohere: FakeUpstream;
let running: RunningGateway;
let client: OpenAI;
let narrow: OpenAI;

before(async () => {
  [openai, vllm, anthropic, cohere] = await Promise.all([startOpenAIFake(), startOpenAIFake(), startAnthropicFake(), startCohereFake()]);
  running = await startGateway({
    providers: {
      openai: { type: 'openai', base_url: `${openai.url}/v1`, keys: [{ value: OPENAI_KEY }], max_retries: 0 },
      vllm: { type: 'vllm', base_url: `${vllm.url}/v1`, max_retries: 0 },
      anthropic: { type: 'anthropic', base_url: anthropic.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-test'], max_retries: 0 },
      cohere: { type: 'cohere', base_url: cohere.url, keys: [{ value: 'test-key-cohere' }], max_retries: 0 },
    },
    virtual_keys: [
      { id: 'all', value: ALL_KEY, models: ['*'] },
      { id: 'narrow', value: NARROW_KEY, models: ['anthropic/*'] },
    ],
    pricing: {
      'openai/gpt-3.5-turbo-instruct': { input: 1.5, output: 2 },
      'anthropic/claude-test': { input: 3, output: 15 },
      'openai/dall-e-3': { per_image: { 'standard/1024x1024': 0.04, 'hd/1024x1024': 0.08, default: 0.12 } },
      'openai/gpt-image-1': { input: 5, output: 40 },
      'cohere/rerank-v3.5': { per_search: 0.002 },
      'vllm/bge-reranker': { input: 0.02, output: 0 },
    },
  });
  client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: ALL_KEY, maxRetries: 0 });
  narrow = new OpenAI({ baseURL: `${running.url}/openai/v1`, apiKey: NARROW_KEY, maxRetries: 0 });
});

after(async () => {
  await running.close();
  await Promise.all([openai.close(), vllm.close(), anthropic.close(), cohere.close()]);
});

async function post(path: string, body: unknown, key = ALL_KEY): Promise<{ status: number; json: Record<string, unknown>; text: string; cost: string | undefined; trailer: string | undefined }> {
  const response = await request(`${running.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
  const text = await response.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A stream.
  }
  return { status: response.statusCode, json, text, cost: response.headers['x-tollgate-cost'] as string | undefined, trailer: response.trailers['x-tollgate-cost'] };
}

test('moderations.create reaches <base_url>/moderations in OpenAI\'s format and answers in it, recorded at zero cost when unpriced', async () => {
  const { data, response } = await client.moderations.create({ model: 'openai/omni-moderation-latest', input: ['I will hurt them', 'a quiet afternoon'] }).withResponse();
  assert.equal(data.results.length, 2);
  assert.equal(data.results[0]!.flagged, true);
  assert.equal(data.results[0]!.categories.violence, true);
  assert.equal(data.results[0]!.category_scores.violence, 0.92);
  assert.equal(data.results[1]!.flagged, false);
  assert.equal(data.model, 'omni-moderation-latest', 'the model the provider names, as chat shows it');
  const sent = openai.requests.at(-1)!;
  assert.equal(sent.path, '/v1/moderations');
  assert.deepEqual(sent.body, { model: 'omni-moderation-latest', input: ['I will hurt them', 'a quiet afternoon'] });
  assert.equal(sent.headers.authorization, `Bearer ${OPENAI_KEY}`);
  assert.equal(response.headers.get('x-tollgate-cost'), '0');
  assert.equal(response.headers.get('x-tollgate-provider'), 'openai');
});

test('moderations: a single string stays a single string upstream; a provider without moderations says so', async () => {
  await client.moderations.create({ model: 'openai/omni-moderation-latest', input: 'hello' });
  assert.deepEqual(openai.requests.at(-1)!.body, { model: 'omni-moderation-latest', input: 'hello' });
  const refused = await post('/v1/moderations', { model: 'anthropic/claude-test', input: 'hello' });
  assert.equal(refused.status, 400, refused.text);
  assert.equal((refused.json.error as Record<string, unknown>).code, 'operation_not_supported');
  const malformed = await post('/v1/moderations', { model: 'openai/omni-moderation-latest', input: 42 });
  assert.equal(malformed.status, 400);
  assert.equal((malformed.json.error as Record<string, unknown>).param, 'input');
});

test('rerank on an OpenAI-dialect server (vLLM): <base_url>/rerank, Cohere-compatible answer, priced per token', async () => {
  const documents = ['Paris is the capital of France', 'Berlin is in Germany', 'The capital of Italy is Rome'];
  const answer = await post('/v1/rerank', { model: 'vllm/bge-reranker', query: 'capital of France', documents, top_n: 2 });
  assert.equal(answer.status, 200, answer.text);
  const results = answer.json.results as { index: number; relevance_score: number; document?: unknown }[];
  assert.deepEqual(results.map((result) => result.index), [0, 2]);
  assert.equal(results[0]!.relevance_score, 1);
  assert.equal(results[0]!.document, undefined, 'documents only when asked for');
  const sent = vllm.requests.at(-1)!;
  assert.equal(sent.path, '/v1/rerank');
  assert.deepEqual(sent.body, { model: 'bge-reranker', query: 'capital of France', documents, top_n: 2 });
  // (5 + 8 + 5 + 7) tokens × $0.02/M, as the fake counts them.
  const tokens = (answer.json.usage as { prompt_tokens: number }).prompt_tokens;
  assert.equal(tokens, [ 'capital of France', ...documents].reduce((sum, text) => sum + Math.ceil(text.length / 4), 0));
  assert.equal(Number(answer.cost), (tokens * 0.02) / 1_000_000);
});

test('rerank through Cohere\'s provider: priced per search unit, documents returned when asked for', async () => {
  const answer = await post('/openai/v1/rerank', { model: 'cohere/rerank-v3.5', query: 'capital of France', documents: ['Paris is the capital of France', { text: 'Berlin' }], return_documents: true });
  assert.equal(answer.status, 200, answer.text);
  const results = answer.json.results as { index: number; relevance_score: number; document?: { text: string } }[];
  assert.equal(results[0]!.index, 0);
  assert.deepEqual(results[0]!.document, { text: 'Paris is the capital of France' });
  assert.deepEqual(answer.json.meta, { billed_units: { search_units: 1 } });
  assert.equal(cohere.requests.at(-1)!.path, '/v2/rerank');
  assert.equal(answer.cost, '0.002');
});

test('completions.create, native on OpenAI: <base_url>/completions with the prompt itself, text_completion back, priced', async () => {
  openai.enqueue({ text: 'This is a test.', finish: 'stop', usage: { input: 5, output: 7 } });
  const { data, response } = await client.completions.create({ model: 'openai/gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7, temperature: 0 }).withResponse();
  assert.equal(data.object, 'text_completion');
  assert.equal(data.choices[0]!.text, 'This is a test.');
  assert.equal(data.choices[0]!.finish_reason, 'stop');
  assert.deepEqual(data.usage, { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 });
  const sent = openai.requests.at(-1)!;
  assert.equal(sent.path, '/v1/completions');
  assert.deepEqual(sent.body, { model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7, temperature: 0 });
  assert.equal(Number(response.headers.get('x-tollgate-cost')), (5 * 1.5 + 7 * 2) / 1_000_000);
});

test('completions.create streamed, native: text_completion chunks then [DONE], usage when asked, cost in the trailer', async () => {
  openai.enqueue({ text: 'one two three', finish: 'stop', usage: { input: 4, output: 3 } });
  const stream = await client.completions.create({ model: 'openai/gpt-3.5-turbo-instruct', prompt: 'Count', stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined;
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'text_completion');
    for (const choice of chunk.choices) {
      text += choice.text;
      finish ??= choice.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, 'one two three');
  assert.equal(finish, 'stop');
  // The cost rides on the usage chunk as in chat streams (docs/observability.md, "Cost in streams").
  assert.deepEqual(usage, { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7, x_tollgate_cost: '0.000012' });
  assert.equal(openai.requests.at(-1)!.path, '/v1/completions');
  assert.equal((openai.requests.at(-1)!.body as Record<string, unknown>).stream, true);

  openai.enqueue({ text: 'one two three', finish: 'stop', usage: { input: 4, output: 3 } });
  const raw = await post('/v1/completions', { model: 'openai/gpt-3.5-turbo-instruct', prompt: 'Count', stream: true });
  assert.equal(raw.status, 200);
  assert.ok(raw.text.endsWith('data: [DONE]\n\n'), raw.text);
  assert.ok(!raw.text.includes('"usage"'), 'no usage chunk unless asked for');
  assert.equal(Number(raw.trailer), (4 * 1.5 + 3 * 2) / 1_000_000);
});

test('completions translated to chat on Anthropic: the prompt as one user message, the answer as choices[].text, streamed and not', async () => {
  anthropic.enqueue({ text: 'Bonjour', finish: 'stop', usage: { input: 10, output: 2 } });
  const { data, response } = await narrow.completions.create({ model: 'anthropic/claude-test', prompt: 'Say hello in French', max_tokens: 20 }).withResponse();
  assert.equal(data.object, 'text_completion');
  assert.equal(data.choices[0]!.text, 'Bonjour');
  assert.equal(data.model, 'claude-test');
  const summary = anthropic.requests.at(-1)!.summary!;
  assert.deepEqual(summary.messages.map((message) => [message.role, message.text]), [['user', 'Say hello in French']]);
  assert.equal(summary.maxOutputTokens, 20);
  assert.equal(Number(response.headers.get('x-tollgate-cost')), (10 * 3 + 2 * 15) / 1_000_000);

  // What only a native `/completions` takes is dropped, and named.
  anthropic.enqueue({ text: 'Bonjour', finish: 'stop', usage: { input: 10, output: 2 } });
  const dropped = await narrow.completions.create({ model: 'anthropic/claude-test', prompt: 'Say hello', suffix: '!', max_tokens: 20 }).withResponse();
  assert.match(dropped.response.headers.get('x-tollgate-warning') ?? '', /dropped fields anthropic does not support: suffix/);

  anthropic.enqueue({ text: 'Bonjour tout le monde', finish: 'stop', usage: { input: 10, output: 4 } });
  const stream = await narrow.completions.create({ model: 'anthropic/claude-test', prompt: 'Say hello in French', max_tokens: 20, stream: true });
  let text = '';
  for await (const chunk of stream) for (const choice of chunk.choices) text += choice.text;
  assert.equal(text, 'Bonjour tout le monde');
  assert.equal(anthropic.requests.at(-1)!.summary!.stream, true);
});

test('images.generate: <base_url>/images/generations, url and b64_json, priced per image by size and quality', async () => {
  const { data: byUrl, response } = await client.images.generate({ model: 'openai/dall-e-3', prompt: 'a lighthouse at dusk', size: '1024x1024', quality: 'hd' }).withResponse();
  assert.equal(byUrl.data!.length, 1);
  assert.match(byUrl.data![0]!.url!, /^https:\/\/images\.example\//);
  assert.equal(byUrl.data![0]!.revised_prompt, 'a lighthouse at dusk (revised)');
  assert.equal(openai.requests.at(-1)!.path, '/v1/images/generations');
  assert.deepEqual(openai.requests.at(-1)!.body, { model: 'dall-e-3', prompt: 'a lighthouse at dusk', size: '1024x1024', quality: 'hd' });
  assert.equal(response.headers.get('x-tollgate-cost'), '0.08');

  const { data: inline, response: second } = await client.images.generate({ model: 'openai/dall-e-3', prompt: 'two boats', n: 2, size: '1024x1024', quality: 'standard', response_format: 'b64_json' }).withResponse();
  assert.deepEqual(inline.data!.map((image) => image.b64_json), [FAKE_PNG_BASE64, FAKE_PNG_BASE64]);
  assert.equal(second.headers.get('x-tollgate-cost'), '0.08');
  // No size or quality given: the `default` price.
  const { response: third } = await client.images.generate({ model: 'openai/dall-e-3', prompt: 'a boat' }).withResponse();
  assert.equal(third.headers.get('x-tollgate-cost'), '0.12');
  // A model priced per token but not per image, answering without token usage: unknown, never $0.
  const { response: fourth } = await client.images.generate({ model: 'openai/gpt-image-1', prompt: 'a boat' }).withResponse();
  assert.equal(fourth.headers.get('x-tollgate-cost'), 'unknown');
});

test('a key refused a model it may not use, on every new endpoint', async () => {
  const attempts: [string, () => Promise<unknown>][] = [
    ['moderations', () => narrow.moderations.create({ model: 'openai/omni-moderation-latest', input: 'hi' })],
    ['completions', () => narrow.completions.create({ model: 'openai/gpt-3.5-turbo-instruct', prompt: 'hi' })],
    ['images', () => narrow.images.generate({ model: 'openai/dall-e-3', prompt: 'hi' })],
  ];
  const before = openai.requests.length;
  for (const [name, attempt] of attempts) {
    await assert.rejects(attempt, (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError, name);
      assert.equal(error.status, 403, name);
      assert.equal((error.error as { code?: string }).code, 'model_not_allowed', name);
      return true;
    });
  }
  const rerank = await post('/v1/rerank', { model: 'vllm/bge-reranker', query: 'q', documents: ['d'] }, NARROW_KEY);
  assert.equal(rerank.status, 403);
  assert.equal(openai.requests.length, before, 'nothing reached the provider');
  const anonymous = await post('/v1/images/generations', { model: 'openai/dall-e-3', prompt: 'hi' }, 'vk-test-' + 'not-a-key');
  assert.equal(anonymous.status, 401);
});

test('Azure: completions and image generations go to the deployment\'s own paths', async () => {
  const azure = await startOpenAIFake();
  const gateway = await startGateway({ providers: { azure: { type: 'azure', base_url: azure.url, keys: [{ value: 'test-key-azure' }], options: { deployments: { 'gpt-35-instruct': 'instruct-prod', 'dall-e-3': 'images-prod' } }, max_retries: 0 } } });
  try {
    const azureClient = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    azure.enqueue({ text: 'ok', finish: 'stop', usage: { input: 1, output: 1 } });
    const completion = await azureClient.completions.create({ model: 'azure/gpt-35-instruct', prompt: 'hi' });
    assert.equal(completion.choices[0]!.text, 'ok');
    assert.match(azure.requests.at(-1)!.path, /^\/openai\/deployments\/instruct-prod\/completions\?api-version=/);
    const images = await azureClient.images.generate({ model: 'azure/dall-e-3', prompt: 'a boat', response_format: 'b64_json' });
    assert.equal(images.data![0]!.b64_json, FAKE_PNG_BASE64);
    assert.match(azure.requests.at(-1)!.path, /^\/openai\/deployments\/images-prod\/images\/generations\?api-version=/);
    assert.equal(azure.requests.at(-1)!.headers['api-key'], 'test-key-azure');
  } finally {
    await gateway.close();
    await azure.close();
  }
});

test('a hostile upstream: answers in the wrong shape are a clear 502 upstream_invalid_response, in OpenAI\'s envelope', async () => {
  const hostile = createServer((incoming, outgoing) => {
    incoming.resume();
    const bodies: Record<string, string> = { '/v1/images/generations': '{"data":"nope"}', '/v1/rerank': '{"results":[{"index":"first"}]}', '/v1/moderations': '[1,2,3]', '/v1/completions': 'not json' };
    outgoing.writeHead(200, { 'content-type': 'application/json' });
    outgoing.end(bodies[incoming.url ?? ''] ?? '{}');
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  const { port } = hostile.address() as AddressInfo;
  const gateway = await startGateway({ providers: { bad: { type: 'together', base_url: `http://127.0.0.1:${port}/v1`, keys: [{ value: 'test-key-together' }], max_retries: 0 }, worse: { type: 'openai', base_url: `http://127.0.0.1:${port}/v1`, keys: [{ value: 'test-key-openai' }], max_retries: 0 } } });
  try {
    const cases: [string, Record<string, unknown>][] = [
      ['/v1/images/generations', { model: 'bad/flux', prompt: 'a boat' }],
      ['/v1/rerank', { model: 'bad/rerank', query: 'q', documents: ['d'] }],
      ['/v1/moderations', { model: 'worse/omni-moderation-latest', input: 'hi' }],
      ['/v1/completions', { model: 'bad/llama', prompt: 'hi' }],
    ];
    for (const [path, body] of cases) {
      const answer = await request(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await answer.body.text();
      assert.equal(answer.statusCode, 502, `${path}: ${text}`);
      assert.equal(JSON.parse(text).error.code, 'upstream_invalid_response', path);
    }
  } finally {
    await gateway.close();
    await new Promise((resolve) => hostile.close(resolve));
  }
});

test('budgets: an image request whose worst case (images × price) exceeds what is left is refused before the provider; spend is charged per image', async () => {
  const images = await startOpenAIFake();
  const budgetKey = 'vk-test-' + 'operations-budget';
  const gateway = await startGateway({
    providers: { openai: { type: 'openai', base_url: `${images.url}/v1`, keys: [{ value: OPENAI_KEY }], max_retries: 0 } },
    virtual_keys: [{ id: 'budget', value: budgetKey, models: ['*'], budgets: [{ max_usd: 0.1, period: '1M' }] }],
    pricing: { 'openai/dall-e-3': { per_image: { 'hd/1024x1024': 0.08 } } },
  });
  try {
    const budgeted = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: budgetKey, maxRetries: 0 });
    const refusedBudget = (error: unknown) => error instanceof OpenAI.APIError && error.status === 402 && (error.error as { code?: string }).code === 'budget_exceeded';
    await assert.rejects(budgeted.images.generate({ model: 'openai/dall-e-3', prompt: 'boats', n: 2, size: '1024x1024', quality: 'hd' }), refusedBudget);
    assert.equal(images.requests.length, 0, 'refused before the provider');
    const { response } = await budgeted.images.generate({ model: 'openai/dall-e-3', prompt: 'a boat', size: '1024x1024', quality: 'hd' }).withResponse();
    assert.equal(response.headers.get('x-tollgate-cost'), '0.08');
    // $0.02 left: another $0.08 image cannot fit.
    await assert.rejects(budgeted.images.generate({ model: 'openai/dall-e-3', prompt: 'a boat', size: '1024x1024', quality: 'hd' }), refusedBudget);
    assert.equal(images.requests.length, 1);
    // Moderations are free unless priced: still allowed with $0.02 left.
    const { response: moderated } = await budgeted.moderations.create({ model: 'openai/omni-moderation-latest', input: 'hi' }).withResponse();
    assert.equal(moderated.headers.get('x-tollgate-cost'), '0');
  } finally {
    await gateway.close();
    await images.close();
  }
});
