import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * The contract of issue #15: a model absent from the config's `pricing` and from the project file,
 * but present in the maintained data (@pydantic/genai-prices), is priced, and its cost is in
 * `x-tollgate-cost` — seen here through the official SDKs against loopback fakes. No `pricing`
 * section at all in this config.
 */
let openai: FakeUpstream;
let anthropic: FakeUpstream;
let running: RunningGateway;

before(async () => {
  [openai, anthropic] = await Promise.all([startOpenAIFake(), startAnthropicFake()]);
  running = await startGateway({
    providers: {
      openai: { type: 'openai', base_url: `${openai.url}/v1`, keys: [{ value: 'test-key-openai' }], models: ['gpt-5.4', 'text-embedding-3-small'], max_retries: 0 },
      anthropic: { type: 'anthropic', base_url: anthropic.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-6'], max_retries: 0 },
    },
  });
});

after(async () => {
  await running.close();
  await Promise.all([openai.close(), anthropic.close()]);
});

test('openai/gpt-5.4 (not in config pricing nor the project file) is priced from the data: OpenAI SDK sees x-tollgate-cost', async () => {
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'test-key-openai', maxRetries: 0 });
  openai.enqueue({ text: 'Priced.', usage: { input: 10_000, output: 2_000, cachedInput: 4_000, reasoning: 1_500 } });
  const { data, response } = await client.chat.completions.create({ model: 'openai/gpt-5.4', messages: [{ role: 'user', content: 'price me' }] }).withResponse();
  assert.equal(data.choices[0]?.message.content, 'Priced.');
  // genai-prices gpt-5.4: input 2.5, cache read 0.25, output 15 USD/M (below the 272K tier).
  // 6,000 × 2.5 + 4,000 × 0.25 + 2,000 × 15 (reasoning inside output) = 15,000 + 1,000 + 30,000 µ$
  assert.equal(response.headers.get('x-tollgate-cost'), '0.046');
});

test('anthropic/claude-sonnet-4-6 (not in config pricing nor the project file) is priced from the data: Anthropic SDK sees x-tollgate-cost', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'test-key-anthropic', maxRetries: 0 });
  anthropic.enqueue({ text: 'Priced.', usage: { input: 20_000, output: 1_000, cachedInput: 12_000, cacheWrite: 5_000, cacheWrite1h: 2_000 } });
  const { data, response } = await client.messages.create({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 1_024, messages: [{ role: 'user', content: 'price me' }] }).withResponse();
  assert.equal(data.content[0]?.type, 'text');
  // genai-prices claude-sonnet-4-6 (since 2026-03-13, one price at any length): input 3, cache read 0.3,
  // 5-minute write 3.75, 1-hour write 6, output 15 USD/M.
  // 3,000 × 3 + 12,000 × 0.3 + 3,000 × 3.75 + 2,000 × 6 + 1,000 × 15 = 9,000 + 3,600 + 11,250 + 12,000 + 15,000 µ$
  assert.equal(response.headers.get('x-tollgate-cost'), '0.05085');
});

test('embeddings are priced too: no output tokens is a known zero, not unknown usage (text-embedding-3-small at 0.02)', async () => {
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'test-key-openai', maxRetries: 0 });
  // The fake counts ceil(length / 4) tokens per input: 'a'.repeat(400) is 100 tokens, twice.
  const { data, response } = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: ['a'.repeat(400), 'b'.repeat(400)] }).withResponse();
  assert.equal(data.usage.prompt_tokens, 200);
  // 200 × 0.02 = 4 µ$
  assert.equal(response.headers.get('x-tollgate-cost'), '0.000004');
});

test('GET /health names the catalog: the maintained data version and date, the project file date', async () => {
  const response = await request(`${running.url}/health`);
  const body = (await response.body.json()) as { status: string; pricing: Record<string, unknown> };
  assert.equal(body.status, 'ok');
  assert.match(String(body.pricing.source), /^@pydantic\/genai-prices@\d+\.\d+\.\d+$/);
  assert.match(String(body.pricing.source_date), /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(Number(body.pricing.source_models) > 1_000);
  assert.match(String(body.pricing.project_file_date), /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(body.pricing.overrides, 0);
});
