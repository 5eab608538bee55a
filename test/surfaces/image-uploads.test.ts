import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import OpenAI, { toFile } from 'openai';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { receivedImageUploads } from '../fakes/openai-image-upload-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { admin, ADMIN_TOKEN } from '../governance/helpers.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * `POST /v1/images/edits` and `/v1/images/variations` through the gateway, driven by the official
 * SDK with PNG files the test makes, against a fake speaking OpenAI's multipart wire format:
 * uploads streamed to the provider as sent, priced per image (or by tokens) and logged with their units.
 */

const PROVIDER_KEY = 'sk-proj-' + 'imageProviderKey0123456789abcdef';
const VIRTUAL_KEY = 'vk-test-' + 'images-all';
const CHAT_ONLY = 'vk-test-' + 'images-chat-only';
const MAX_UPLOAD = 128 * 1024;

let fake: FakeUpstream;
let running: RunningGateway;

before(async () => {
  fake = await startOpenAIFake();
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: {
      openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['dall-e-2', 'gpt-image-1', 'gpt-4o-mini'], max_retries: 0 },
      azure: { type: 'azure', base_url: fake.url, keys: [{ value: PROVIDER_KEY }], models: ['azure-dalle'], options: { deployments: { 'azure-dalle': 'dalle-east' } }, max_retries: 0 },
      groq: { type: 'groq', base_url: `${fake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['llama-pictures'], max_retries: 0 },
    },
    pricing: {
      'openai/dall-e-2': { per_image: { '256x256': 0.016, '1024x1024': 0.02 } },
      'azure/azure-dalle': { per_image: 0.02 },
      'openai/gpt-image-1': { input: 10, output: 40 },
    },
    images: { max_upload_bytes: MAX_UPLOAD },
    virtual_keys: [
      { id: 'all', value: VIRTUAL_KEY, models: ['*'] },
      { id: 'chat-only', value: CHAT_ONLY, models: ['gpt-4o-mini'] },
    ],
  });
});
after(async () => {
  await running?.close();
  await fake?.close();
});

const client = (key = VIRTUAL_KEY): OpenAI => new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0 });

/** An RGBA PNG of `size`×`size` pixels: signature, IHDR, one IDAT of filtered rows, IEND. */
function pngFile(size: number, shade = 128): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (1 + size * 4));
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) rows.fill(Buffer.from([shade, (x * 7) & 255, (y * 3) & 255, 255]), y * (1 + size * 4) + 1 + x * 4, y * (1 + size * 4) + 5 + x * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

async function loggedRecord(requestId: string): Promise<RequestRecord> {
  const answer = await admin(running.url, 'GET', `/admin/logs?request_id=${encodeURIComponent(requestId)}`);
  return (answer.body.logs as RequestRecord[])[0]!;
}

test('images.edit with a PNG the test makes: the upload reaches the provider as sent, priced per image by size, logged with its units', async () => {
  const png = pngFile(16);
  const before = receivedImageUploads.length;
  const { data, response } = await client().images.edit({ model: 'dall-e-2', image: await toFile(png, 'lighthouse.png', { type: 'image/png' }), prompt: 'add a boat', n: 2, size: '256x256' }).withResponse();
  assert.equal(data.data?.length, 2);
  assert.match(data.data![0]!.url!, /^https:\/\/images\.example\//);
  assert.equal(response.headers.get('x-tollgate-cost'), '0.032');
  assert.equal(response.headers.get('x-tollgate-provider'), 'openai');

  const received = receivedImageUploads[before]!;
  assert.equal(received.path, '/v1/images/edits');
  assert.equal(received.files.length, 1);
  assert.equal(received.files[0]!.name, 'image');
  assert.equal(received.files[0]!.filename, 'lighthouse.png');
  assert.equal(received.files[0]!.mimeType, 'image/png');
  assert.ok(received.files[0]!.bytes.equals(png), 'the image arrives byte for byte');
  assert.deepEqual(Object.fromEntries(received.fields), { model: 'dall-e-2', prompt: 'add a boat', n: '2', size: '256x256' });

  const record = await loggedRecord(response.headers.get('x-request-id')!);
  assert.equal(record.operation, 'images.edits');
  assert.equal(record.images, 2);
  assert.equal(record.cost_exact, '0.032');
});

test('several images and a mask (gpt-image-1): every part goes on in order, and token usage is priced', async () => {
  const before = receivedImageUploads.length;
  const images = [await toFile(pngFile(8, 10), 'a.png', { type: 'image/png' }), await toFile(pngFile(8, 200), 'b.png', { type: 'image/png' })];
  const { data, response } = await client().images.edit({ model: 'gpt-image-1', image: images, mask: await toFile(pngFile(8, 0), 'mask.png', { type: 'image/png' }), prompt: 'merge them' }).withResponse();
  assert.ok(data.data![0]!.b64_json!.length > 0);
  const received = receivedImageUploads[before]!;
  assert.deepEqual(
    received.files.map((file) => [file.name, file.filename]),
    [
      ['image[]', 'a.png'],
      ['image[]', 'b.png'],
      ['mask', 'mask.png'],
    ],
  );
  // 1,000 input tokens at $10 and 300 output at $40 per million.
  assert.equal(response.headers.get('x-tollgate-cost'), '0.022');
  const record = await loggedRecord(response.headers.get('x-request-id')!);
  assert.equal(record.input_tokens, 1000);
  assert.equal(record.images, 1);
});

test('images.createVariation, and Azure by deployment', async () => {
  const before = receivedImageUploads.length;
  const variation = await client().images.createVariation({ image: await toFile(pngFile(16), 'v.png', { type: 'image/png' }), n: 1, size: '1024x1024' }).withResponse();
  assert.equal(variation.data.data?.length, 1);
  assert.equal(variation.response.headers.get('x-tollgate-model'), 'dall-e-2', 'no model: OpenAI\'s default');
  assert.equal(variation.response.headers.get('x-tollgate-cost'), '0.02');
  assert.equal(receivedImageUploads[before]!.path, '/v1/images/variations');

  const azure = await client().images.edit({ model: 'azure-dalle', image: await toFile(pngFile(4), 'z.png', { type: 'image/png' }), prompt: 'tint' }).withResponse();
  assert.equal(azure.response.headers.get('x-tollgate-cost'), '0.02');
  assert.match(receivedImageUploads.at(-1)!.path, /^\/openai\/deployments\/dalle-east\/images\/edits\?api-version=/);
  assert.equal(receivedImageUploads.at(-1)!.fields.find(([name]) => name === 'model')?.[1], 'azure-dalle');
});

test('refusals: a model the key may not use, no image, no prompt, an oversized upload, a provider without image edits', async () => {
  const png = await toFile(pngFile(4), 'x.png', { type: 'image/png' });
  const status = async (call: Promise<unknown>): Promise<[number | undefined, string | undefined]> => {
    try {
      await call;
      return [200, undefined];
    } catch (error) {
      const failure = error as { status?: number; code?: string };
      return [failure.status, failure.code];
    }
  };
  assert.deepEqual(await status(client(CHAT_ONLY).images.edit({ model: 'dall-e-2', image: png, prompt: 'p' })), [403, 'model_not_allowed']);
  assert.deepEqual(await status(client().images.edit({ model: 'dall-e-2', image: png, prompt: '' })), [400, 'invalid_request']);
  assert.deepEqual(await status(client().images.edit({ model: 'dall-e-2', image: await toFile(Buffer.alloc(MAX_UPLOAD + 1, 1), 'big.png', { type: 'image/png' }), prompt: 'p' })), [413, 'body_too_large']);
  assert.deepEqual(await status(client().images.edit({ model: 'llama-pictures', image: png, prompt: 'p' })), [400, 'operation_not_supported']);
  const form = new FormData();
  form.append('model', 'dall-e-2');
  form.append('prompt', 'no image');
  const noImage = await fetch(`${running.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${VIRTUAL_KEY}` }, body: form });
  assert.equal(noImage.status, 400);
  assert.equal(((await noImage.json()) as { error: { param: string } }).error.param, 'image');
});
