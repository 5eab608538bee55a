import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { fakeSpeechChunks } from '../fakes/openai-audio-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { cacheConfig, KEY_A, KEY_B, startCached } from './helpers.js';

/** Text to speech through the cache (`POST /v1/audio/speech`), with the official SDK: the audio recorded as it streams, replayed byte for byte. */

let fake: FakeUpstream;
let running: RunningGateway;
let small: RunningGateway;

/** The cache's test config with a speech model priced per character; `cache` settings over the defaults. */
function speechConfig(cache: Record<string, unknown> = {}): Record<string, unknown> {
  const config = cacheConfig(fake.url, cache) as { providers: { openai: { models: string[] } }; pricing: Record<string, unknown> };
  config.providers.openai.models.push('tts-test');
  config.pricing['openai/tts-test'] = { per_character: 0.000015 };
  return config;
}

before(async () => {
  fake = await startOpenAIFake();
  running = await startCached(speechConfig());
  // 40 KB of audio is 54 KB as an entry: over this limit.
  small = await startCached(speechConfig({ max_entry_bytes: 32 * 1024 }));
});
after(async () => {
  await running.close();
  await small.close();
  await fake.close();
});

let unique = 0;
const fresh = (label: string) => `${label} #${++unique}`;

async function speak(gateway: RunningGateway, key: string, input: string, extra: Partial<OpenAI.Audio.SpeechCreateParams> = {}, headers: Record<string, string> = {}) {
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: headers });
  const response = await client.audio.speech.create({ model: 'openai/tts-test', voice: 'alloy', input, ...extra }).asResponse();
  return { headers: response.headers, audio: Buffer.from(await response.arrayBuffer()) };
}

const speechCalls = () => fake.requests.filter((request) => request.path.endsWith('/audio/speech')).length;

test('speech: the same request again is a hit, the audio byte for byte, no upstream call, cost 0 and the saved cost', async () => {
  const input = fresh('Welcome aboard');
  const first = await speak(running, KEY_A, input);
  assert.equal(first.headers.get('x-tollgate-cache'), 'miss');
  assert.deepEqual(first.audio, Buffer.concat(fakeSpeechChunks(input)));
  const paid = Number(first.headers.get('x-tollgate-cost'));
  assert.ok(paid > 0);
  const calls = speechCalls();

  const second = await speak(running, KEY_A, input);
  assert.equal(speechCalls(), calls, 'the hit never reached the upstream');
  assert.equal(second.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(second.headers.get('content-type'), 'audio/mpeg');
  assert.equal(second.headers.get('x-tollgate-cost'), '0');
  assert.equal(Number(second.headers.get('x-tollgate-cache-saved-usd')), paid);
  assert.deepEqual(second.audio, first.audio);
});

test('speech: another voice, speed or format is another answer; another key is another namespace', async () => {
  const input = fresh('Mind the gap');
  await speak(running, KEY_A, input);
  const calls = speechCalls();
  assert.equal((await speak(running, KEY_A, input, { voice: 'nova' })).headers.get('x-tollgate-cache'), 'miss');
  assert.equal((await speak(running, KEY_A, input, { speed: 1.5 })).headers.get('x-tollgate-cache'), 'miss');
  const wav = await speak(running, KEY_A, input, { response_format: 'wav' });
  assert.equal(wav.headers.get('x-tollgate-cache'), 'miss');
  assert.equal((await speak(running, KEY_B, input)).headers.get('x-tollgate-cache'), 'miss');
  assert.equal(speechCalls(), calls + 4);
  const wavAgain = await speak(running, KEY_A, input, { response_format: 'wav' });
  assert.equal(wavAgain.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(wavAgain.headers.get('content-type'), 'audio/wav', 'the content type is stored with the audio');
});

test('speech: no-store looks up without storing; an upstream error and a caller who stopped reading store nothing', async () => {
  const input = fresh('Doors closing');
  await speak(running, KEY_A, input, {}, { 'x-tollgate-cache-no-store': 'true' });
  assert.equal((await speak(running, KEY_A, input)).headers.get('x-tollgate-cache'), 'miss');

  const refused = fresh('Refused');
  fake.enqueue({ error: { status: 500, message: 'the voice service is down', type: 'server_error' } });
  await assert.rejects(speak(running, KEY_A, refused), (error: unknown) => error instanceof OpenAI.APIError);
  assert.equal((await speak(running, KEY_A, refused)).headers.get('x-tollgate-cache'), 'miss');

  // The caller goes away after the first chunk, while the upstream holds its last one back.
  const cut = fresh('Cut short');
  let release: () => void = () => undefined;
  fake.enqueue({ holdLastChunk: new Promise<void>((resolve) => (release = resolve)) });
  const abort = new AbortController();
  const response = await fetch(`${running.url}/v1/audio/speech`, { method: 'POST', signal: abort.signal, headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/tts-test', voice: 'alloy', input: cut }) });
  const reader = response.body!.getReader();
  await reader.read();
  abort.abort();
  release();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const after = await speak(running, KEY_A, cut);
  assert.equal(after.headers.get('x-tollgate-cache'), 'miss', 'half an answer was not stored');
  assert.deepEqual(after.audio, Buffer.concat(fakeSpeechChunks(cut)));
});

test('speech: audio over max_entry_bytes reaches the caller whole and is not stored', async () => {
  const input = fresh('A long announcement');
  const first = await speak(small, KEY_A, input);
  assert.deepEqual(first.audio, Buffer.concat(fakeSpeechChunks(input)));
  assert.equal((await speak(small, KEY_A, input)).headers.get('x-tollgate-cache'), 'miss');
});
