import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { countTokens as countClaudeTokens } from '@anthropic-ai/tokenizer';
import { GoogleGenAI } from '@google/genai';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import OpenAI from 'openai';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { fakeTokenCount, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * Token counting in each native dialect: the serving provider's own counter where it has one
 * (Anthropic, Gemini, OpenAI), a local tokenizer of the model's family where it has none, and the
 * key's model list applies as for chat.
 */

let anthropicFake: FakeUpstream;
let geminiFake: FakeUpstream;
let openaiFake: FakeUpstream;
let running: RunningGateway;
const KEY = 'vk-test-' + 'counting-all';
const NARROW = 'vk-test-' + 'counting-narrow';

before(async () => {
  [anthropicFake, geminiFake, openaiFake] = await Promise.all([startAnthropicFake(), startGeminiFake(), startOpenAIFake()]);
  running = await startGateway({
    providers: {
      anthropic: { type: 'anthropic', base_url: anthropicFake.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 },
      gemini: { type: 'gemini', base_url: `${geminiFake.url}/v1beta`, keys: [{ value: 'test-key-gemini' }], models: ['gemini-2.5-flash'], max_retries: 0 },
      openai: { type: 'openai', base_url: `${openaiFake.url}/v1`, keys: [{ value: 'test-key-openai' }], models: ['gpt-4o-mini'], max_retries: 0 },
      // Speaks OpenAI's chat API but has no counting endpoint: counts are estimated locally.
      groq: { type: 'groq', base_url: `${openaiFake.url}/v1`, keys: [{ value: 'test-key-groq' }], models: ['llama-3.3-70b-versatile', 'claude-lookalike'], max_retries: 0 },
    },
    virtual_keys: [
      { id: 'all', value: KEY, models: ['*'] },
      { id: 'narrow', value: NARROW, models: ['anthropic/*'] },
    ],
  });
});
after(async () => {
  await running.close();
  await Promise.all([anthropicFake.close(), geminiFake.close(), openaiFake.close()]);
});

const system = 'You are a careful assistant.';
const tools: Anthropic.Tool[] = [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }];

test('Anthropic count_tokens goes to Anthropic counting endpoint with only the fields it takes, and answers { input_tokens }', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: KEY, maxRetries: 0 });
  const counted = await client.messages.countTokens({ model: 'anthropic/claude-sonnet-4-5', system, tools, messages: [{ role: 'user', content: 'How many tokens is this?' }] });
  const seen = anthropicFake.requests.at(-1)!;
  assert.equal(seen.path, '/v1/messages/count_tokens');
  const body = seen.body as Record<string, unknown>;
  assert.equal(body.model, 'claude-sonnet-4-5');
  assert.equal(body.system, system);
  assert.equal((body.tools as { name: string }[])[0]!.name, 'read_file');
  assert.equal(seen.headers['x-api-key'], 'test-key-anthropic');
  assert.deepEqual(counted, { input_tokens: fakeTokenCount(body) });

  const raw = await client.messages.countTokens({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }).asResponse();
  assert.equal(raw.headers.get('x-tollgate-token-count'), 'native');
  assert.equal(raw.headers.get('x-tollgate-cost'), '0');
});

test('a provider without a counter is estimated with the family tokenizer, never a character ratio, and says so', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: KEY, maxRetries: 0 });
  const before = openaiFake.requests.length;
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(40);
  const { data, response } = await client.messages.countTokens({ model: 'groq/llama-3.3-70b-versatile', messages: [{ role: 'user', content: text }] }).withResponse();
  assert.equal(openaiFake.requests.length, before, 'no upstream call for an estimate');
  assert.equal(response.headers.get('x-tollgate-token-count'), 'estimated; tokenizer=o200k_base');
  // The text's o200k_base tokens plus the message framing (3 around the message, 3 priming the reply).
  assert.equal(data.input_tokens, new Tiktoken(o200k).encode(text).length + 6);
  assert.notEqual(data.input_tokens, Math.ceil(text.length / 4));

  const claude = await client.messages.countTokens({ model: 'groq/claude-lookalike', messages: [{ role: 'user', content: text }] }).withResponse();
  assert.equal(claude.response.headers.get('x-tollgate-token-count'), 'estimated; tokenizer=claude');
  assert.equal(claude.data.input_tokens, countClaudeTokens(text) + 6);
});

test('a huge prompt is counted without stalling other requests, and a malformed body is refused in Anthropic shape', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: KEY, maxRetries: 0 });
  const huge = 'token '.repeat(300_000);
  const counting = client.messages.countTokens({ model: 'groq/llama-3.3-70b-versatile', messages: [{ role: 'user', content: huge }] });
  const health = await fetch(`${running.url}/health`);
  assert.equal(health.status, 200);
  assert.ok((await counting).input_tokens >= 300_000);

  const bad = await fetch(`${running.url}/anthropic/v1/messages/count_tokens`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'anthropic/claude-sonnet-4-5', messages: 'nope' }) });
  assert.equal(bad.status, 400);
  const error = (await bad.json()) as { type: string; error: { type: string } };
  assert.equal(error.type, 'error');
  assert.equal(error.error.type, 'invalid_request_error');
});

test('the key model list applies to counting as to chat', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: NARROW, maxRetries: 0 });
  await assert.rejects(client.messages.countTokens({ model: 'gemini/gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => error instanceof Anthropic.PermissionDeniedError);
  const ok = await client.messages.countTokens({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
  assert.ok(ok.input_tokens > 0);
});

test('Gemini countTokens goes to Gemini counter with the whole generate request', async () => {
  const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: `${running.url}/gemini` } });
  const counted = await ai.models.countTokens({ model: 'gemini/gemini-2.5-flash', contents: 'How many tokens is this?' });
  const seen = geminiFake.requests.at(-1)!;
  assert.match(seen.path, /^\/v1beta\/models\/gemini-2\.5-flash:countTokens/);
  const body = seen.body as { generateContentRequest: { model: string; contents: { parts: { text: string }[] }[] } };
  assert.equal(body.generateContentRequest.model, 'models/gemini-2.5-flash');
  assert.equal(body.generateContentRequest.contents[0]!.parts[0]!.text, 'How many tokens is this?');
  assert.equal(counted.totalTokens, fakeTokenCount(body));
});

test('Responses input_tokens goes to OpenAI counter and answers its object', async () => {
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const answer = (await client.post('/responses/input_tokens', { body: { model: 'openai/gpt-4o-mini', input: 'How many tokens is this?', instructions: system } })) as { object: string; input_tokens: number };
  const seen = openaiFake.requests.at(-1)!;
  assert.equal(seen.path, '/v1/responses/input_tokens');
  const body = seen.body as Record<string, unknown>;
  assert.equal(body.model, 'gpt-4o-mini');
  assert.match(JSON.stringify(body.input), /You are a careful assistant\./);
  assert.equal(body.stream, undefined);
  assert.equal(body.store, undefined);
  assert.deepEqual(answer, { object: 'response.input_tokens', input_tokens: fakeTokenCount(body) });
});

test('model lists in Anthropic and Gemini shapes are filtered by key and paged', async () => {
  const anthropic = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: KEY, maxRetries: 0 });
  const all: string[] = [];
  for await (const model of anthropic.models.list({ limit: 2 })) all.push(model.id);
  const openai = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const expected: string[] = [];
  for await (const model of openai.models.list()) expected.push(model.id);
  assert.ok(expected.includes('anthropic/claude-sonnet-4-5') && expected.length > 2);
  assert.deepEqual(all, expected, 'the same models, in the same order, as GET /v1/models');
  const one = await anthropic.models.retrieve('anthropic/claude-sonnet-4-5');
  assert.equal(one.type, 'model');

  const narrow = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: NARROW, maxRetries: 0 });
  const visible: string[] = [];
  for await (const model of narrow.models.list()) visible.push(model.id);
  assert.ok(visible.length > 0 && visible.every((id) => id.startsWith('anthropic/') || id === 'claude-sonnet-4-5'), visible.join());
  await assert.rejects(narrow.models.retrieve('openai/gpt-4o-mini'), (error: unknown) => error instanceof Anthropic.NotFoundError);

  const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: `${running.url}/gemini` } });
  const names: string[] = [];
  const pager = await ai.models.list({ config: { pageSize: 2 } });
  for await (const model of pager) names.push(model.name!);
  assert.deepEqual(names, expected.map((id) => `models/${id}`));
  const narrowAi = new GoogleGenAI({ apiKey: NARROW, httpOptions: { baseUrl: `${running.url}/gemini` } });
  const narrowNames: string[] = [];
  for await (const model of await narrowAi.models.list()) narrowNames.push(model.name!);
  assert.deepEqual(narrowNames, visible.map((id) => `models/${id}`));
});
