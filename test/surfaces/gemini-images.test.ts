import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { GEMINI_FAKE_PNG, startGeminiFake } from '../fakes/gemini-fake.js';
import { admin, ADMIN_TOKEN } from '../governance/helpers.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * `POST /v1/images/generations` served by Gemini by translation: Imagen models at `:predict`
 * (priced per image) and Gemini's image models at `:generateContent` with image output (priced by
 * tokens), answered in OpenAI's shape, driven by the openai SDK against a Gemini fake on loopback.
 */

const GEMINI_KEY = 'AIza' + 'SyFakeGeminiImagesKey0123456789abcdef';
const VIRTUAL_KEY = 'vk-test-' + 'gemini-images';

let fake: FakeUpstream;
let running: RunningGateway;
let client: OpenAI;

before(async () => {
  fake = await startGeminiFake();
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: { gemini: { type: 'gemini', base_url: `${fake.url}/v1beta`, keys: [{ value: GEMINI_KEY }], models: ['imagen-4.0-generate-001', 'gemini-2.5-flash-image'], max_retries: 0 } },
    pricing: {
      'gemini/imagen-4.0-generate-001': { per_image: 0.04 },
      // USD per million: text in 0.3, out 2.5 (the catalog adds image output at 30).
      'gemini/gemini-2.5-flash-image': { input: 0.3, output: 2.5 },
    },
    virtual_keys: [{ id: 'images', value: VIRTUAL_KEY, models: ['*'] }],
  });
  client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: VIRTUAL_KEY, maxRetries: 0 });
});
after(async () => {
  await running?.close();
  await fake?.close();
});

async function recordOf(id: string | null): Promise<RequestRecord> {
  return ((await admin(running.url, 'GET', `/admin/logs?request_id=${encodeURIComponent(id ?? '')}`)).body.logs as RequestRecord[])[0]!;
}

test('Imagen: `:predict` with the sample count and the nearest aspect ratio; b64_json images priced per image', async () => {
  const { data, response } = await client.images.generate({ model: 'imagen-4.0-generate-001', prompt: 'a lighthouse at dusk', n: 2, size: '1792x1024' }).withResponse();
  assert.deepEqual(
    data.data?.map((image) => image.b64_json),
    [GEMINI_FAKE_PNG, GEMINI_FAKE_PNG],
  );
  assert.equal(response.headers.get('x-tollgate-cost'), '0.08');
  const sent = fake.requests.at(-1)!;
  assert.equal(sent.path, '/v1beta/models/imagen-4.0-generate-001:predict');
  assert.equal(sent.headers['x-goog-api-key'], GEMINI_KEY);
  assert.deepEqual(sent.body, { instances: [{ prompt: 'a lighthouse at dusk' }], parameters: { sampleCount: 2, aspectRatio: '16:9' } });
  const record = await recordOf(response.headers.get('x-request-id'));
  assert.deepEqual([record.operation, record.images, record.cost_exact], ['images', 2, '0.08']);
});

test("Gemini's image models: `:generateContent` asking for images; the inline image comes back as b64_json, priced by tokens", async () => {
  const { data, response } = await client.images.generate({ model: 'gemini-2.5-flash-image', prompt: 'a red kite', size: '1024x1024' }).withResponse();
  assert.equal(data.data?.length, 1);
  assert.equal(data.data![0]!.b64_json, GEMINI_FAKE_PNG);
  assert.equal(data.data![0]!.revised_prompt, 'Here is your image.');
  const sent = fake.requests.at(-1)!;
  assert.equal(sent.path, '/v1beta/models/gemini-2.5-flash-image:generateContent');
  assert.deepEqual(sent.body, { contents: [{ role: 'user', parts: [{ text: 'a red kite' }] }], generationConfig: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '1:1' } } });
  // Per million: 12 tokens in at $0.3, 5 text tokens out at $2.5, and 1,290 image tokens at the
  // catalog's image output rate for the model ($30), which the config's entry does not override.
  assert.equal(response.headers.get('x-tollgate-cost'), '0.0387161');
  const record = await recordOf(response.headers.get('x-request-id'));
  assert.deepEqual([record.input_tokens, record.output_tokens, record.images], [12, 1295, 1]);
});
