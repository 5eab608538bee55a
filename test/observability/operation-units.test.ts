import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import type { AggregateRow } from '../../src/observability/log/log-filter.js';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { startCohereFake } from '../fakes/cohere-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { admin, ADMIN_TOKEN } from '../governance/helpers.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * Every operation's request-log record carries the units it billed (images, characters, seconds of
 * audio, search units, tokens) beside its exact cost, and the usage report by operation
 * (`GET /admin/logs/aggregate?group_by=operation`) adds up each operation's cost and units.
 */

const PROVIDER_KEY = 'sk-proj-' + 'unitsProviderKey0123456789abcd';
const VIRTUAL_KEY = 'vk-test-' + 'units-all';

let openai: FakeUpstream;
let cohere: FakeUpstream;
let running: RunningGateway;
let client: OpenAI;

before(async () => {
  [openai, cohere] = await Promise.all([startOpenAIFake(), startCohereFake()]);
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: {
      openai: { type: 'openai', base_url: `${openai.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['tts-1', 'whisper-1', 'dall-e-3', 'text-embedding-3-small'], max_retries: 0 },
      cohere: { type: 'cohere', base_url: cohere.url, keys: [{ value: 'test-key-cohere' }], models: ['rerank-v3.5'], max_retries: 0 },
    },
    pricing: {
      'openai/tts-1': { per_character: 0.000015 },
      'openai/whisper-1': { per_second: 0.0001 },
      'openai/dall-e-3': { per_image: 0.04 },
      'cohere/rerank-v3.5': { per_search: 0.002 },
      'openai/text-embedding-3-small': { input: 0.02, output: 0 },
    },
    virtual_keys: [{ id: 'units', value: VIRTUAL_KEY, models: ['*'] }],
  });
  client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: VIRTUAL_KEY, maxRetries: 0 });
});
after(async () => {
  await running?.close();
  await Promise.all([openai?.close(), cohere?.close()]);
});

/** A mono 16-bit PCM WAV of `seconds` at 8 kHz (silence). */
function wavFile(seconds: number): Buffer {
  const samples = seconds * 8000;
  const file = Buffer.alloc(44 + samples * 2);
  file.write('RIFF', 0, 'latin1');
  file.writeUInt32LE(36 + samples * 2, 4);
  file.write('WAVEfmt ', 8, 'latin1');
  file.writeUInt32LE(16, 16);
  file.writeUInt16LE(1, 20);
  file.writeUInt16LE(1, 22);
  file.writeUInt32LE(8000, 24);
  file.writeUInt32LE(16000, 28);
  file.writeUInt16LE(2, 32);
  file.writeUInt16LE(16, 34);
  file.write('data', 36, 'latin1');
  file.writeUInt32LE(samples * 2, 40);
  return file;
}

async function recordOf(requestId: string | null): Promise<RequestRecord> {
  const answer = await admin(running.url, 'GET', `/admin/logs?request_id=${encodeURIComponent(requestId ?? '')}`);
  return (answer.body.logs as RequestRecord[])[0]!;
}

test('each operation logs its units and exact cost, and the usage report by operation adds them up', async () => {
  const speech = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello, world!' }).asResponse();
  await speech.arrayBuffer();
  const transcription = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(wavFile(3), 'a.wav', { type: 'audio/wav' }) }).withResponse();
  const image = await client.images.generate({ model: 'dall-e-3', prompt: 'a lighthouse', n: 2 }).withResponse();
  const embedding = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'units' }).withResponse();
  const rerank = await fetch(`${running.url}/v1/rerank`, {
    method: 'POST',
    headers: { authorization: `Bearer ${VIRTUAL_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'rerank-v3.5', query: 'capital of France', documents: ['Paris is the capital of France.', 'Berlin is in Germany.'] }),
  });
  assert.equal(rerank.status, 200, await rerank.clone().text());

  const spoken = await recordOf(speech.headers.get('x-request-id'));
  assert.deepEqual([spoken.operation, spoken.characters, spoken.cost_exact], ['audio.speech', 13, '0.000195']);
  const heard = await recordOf(transcription.response.headers.get('x-request-id'));
  assert.deepEqual([heard.operation, heard.audio_seconds, heard.cost_exact], ['audio.transcriptions', 3, '0.0003']);
  const drawn = await recordOf(image.response.headers.get('x-request-id'));
  assert.deepEqual([drawn.operation, drawn.images, drawn.cost_exact], ['images', 2, '0.08']);
  const ranked = await recordOf(rerank.headers.get('x-request-id'));
  assert.deepEqual([ranked.operation, ranked.search_units, ranked.cost_exact], ['rerank', 1, '0.002']);
  const embedded = await recordOf(embedding.response.headers.get('x-request-id'));
  assert.equal(embedded.operation, 'embeddings');
  assert.ok(embedded.input_tokens! > 0);
  assert.deepEqual([embedded.images, embedded.characters, embedded.audio_seconds, embedded.search_units], [null, null, null, null], 'tokens only');

  const report = await admin(running.url, 'GET', '/admin/logs/aggregate?group_by=operation');
  const rows = new Map((report.body.rows as AggregateRow[]).map((row) => [row.group.operation, row]));
  assert.deepEqual([rows.get('audio.speech')!.characters, rows.get('audio.speech')!.cost_usd], [13, 0.000195]);
  assert.deepEqual([rows.get('audio.transcriptions')!.audio_seconds, rows.get('audio.transcriptions')!.cost_usd], [3, 0.0003]);
  assert.deepEqual([rows.get('images')!.images, rows.get('images')!.cost_usd], [2, 0.08]);
  assert.deepEqual([rows.get('rerank')!.search_units, rows.get('rerank')!.cost_usd], [1, 0.002]);
  assert.ok(rows.get('embeddings')!.input_tokens > 0);
});
