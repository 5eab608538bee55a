import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

let openai: FakeUpstream;
let gemini: FakeUpstream;
let running: RunningGateway;
let client: OpenAI;

before(async () => {
  [openai, gemini] = await Promise.all([startOpenAIFake(), startGeminiFake()]);
  running = await startGateway({
    providers: {
      openai: { type: 'openai', base_url: `${openai.url}/v1`, keys: [{ value: 'test-key-openai' }], max_retries: 0 },
      google: { type: 'gemini', base_url: `${gemini.url}/v1beta`, keys: [{ value: 'test-key-gemini' }], max_retries: 0 },
    },
  });
  client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await running.close();
  await Promise.all([openai.close(), gemini.close()]);
});

/** Sends an OpenAI embeddings body, with fields the SDK's types do not know, through the SDK. */
function embed(body: Record<string, unknown>): Promise<OpenAI.CreateEmbeddingResponse> {
  return client.embeddings.create(body as unknown as OpenAI.EmbeddingCreateParams);
}

test('the caller\'s embeddings request reaches an OpenAI upstream re-encoded from spec: upstream model, extras kept, gateway fields dropped', async () => {
  const response = await embed({ model: 'openai/text-embedding-3-small', input: 'hello', dimensions: 4, encoding_format: 'float', fallbacks: ['google/text-embedding-004'], extra_option: 'kept' });
  assert.equal(response.data.length, 1);
  assert.equal(response.data[0]!.embedding.length, 4);
  assert.deepEqual(openai.requests.at(-1)!.body, { model: 'text-embedding-3-small', input: 'hello', dimensions: 4, encoding_format: 'float', extra_option: 'kept' });
});

test('the same spec request reaches a Gemini upstream in Gemini\'s format, OpenAI-only extras left out', async () => {
  const response = await embed({ model: 'google/text-embedding-004', input: ['alpha', 'beta'], dimensions: 3, extra_option: 'not for gemini' });
  assert.deepEqual(response.data.map((item) => item.embedding.length), [3, 3]);
  assert.deepEqual(gemini.requests.at(-1)!.body, {
    requests: [
      { model: 'models/text-embedding-004', content: { parts: [{ text: 'alpha' }] }, outputDimensionality: 3 },
      { model: 'models/text-embedding-004', content: { parts: [{ text: 'beta' }] }, outputDimensionality: 3 },
    ],
  });
});
