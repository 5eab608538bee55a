import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { fakeSpeechChunks, receivedUploads } from '../fakes/openai-audio-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * OpenAI's audio endpoints through the gateway, driven by the official SDK against a fake on
 * loopback: speech streamed through byte for byte, transcriptions and translations of a WAV file the
 * test makes (the SDK sends the file part before the model field), each priced.
 */

const PROVIDER_KEY = 'sk-proj-' + 'audioProviderKey0123456789abcdef';
const VIRTUAL_KEY = 'vk-test-' + 'audio-all';
const SPEECH_ONLY = 'vk-test-' + 'audio-speech-only';
const MAX_UPLOAD = 256 * 1024;

let fake: FakeUpstream;
let broken: FakeUpstream;
let running: RunningGateway;

before(async () => {
  fake = await startOpenAIFake();
  broken = await startOpenAIFake();
  running = await startGateway({
    providers: {
      openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['tts-1', 'whisper-1', 'gpt-4o-transcribe'], max_retries: 0 },
      azure: { type: 'azure', base_url: `${fake.url}`, keys: [{ value: PROVIDER_KEY }], models: ['azure-tts'], options: { deployments: { 'azure-tts': 'tts-east' } }, max_retries: 0 },
      flaky: { type: 'openai', base_url: `${broken.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['flaky-whisper', 'flaky-tts'], max_retries: 0 },
    },
    pricing: {
      'openai/tts-1': { per_character: 0.000015 },
      'openai/whisper-1': { per_second: 0.0001 },
      'openai/gpt-4o-transcribe': { input: 2.5, output: 10 },
    },
    audio: { max_upload_bytes: MAX_UPLOAD },
    virtual_keys: [
      { id: 'all', value: VIRTUAL_KEY, models: ['*'] },
      { id: 'speech-only', value: SPEECH_ONLY, models: ['tts-1'] },
    ],
  });
});
after(async () => {
  await running?.close();
  await fake?.close();
  await broken?.close();
});

const client = (key = VIRTUAL_KEY, prefix = '/v1'): OpenAI => new OpenAI({ baseURL: `${running.url}${prefix}`, apiKey: key, maxRetries: 0 });

/** A mono 16-bit PCM WAV file of `seconds` at 8 kHz: a RIFF header and a sine wave. */
function wavFile(seconds: number): Buffer {
  const rate = 8000;
  const samples = Math.round(seconds * rate);
  const file = Buffer.alloc(44 + samples * 2);
  file.write('RIFF', 0, 'latin1');
  file.writeUInt32LE(36 + samples * 2, 4);
  file.write('WAVE', 8, 'latin1');
  file.write('fmt ', 12, 'latin1');
  file.writeUInt32LE(16, 16);
  file.writeUInt16LE(1, 20); // PCM
  file.writeUInt16LE(1, 22); // mono
  file.writeUInt32LE(rate, 24);
  file.writeUInt32LE(rate * 2, 28); // byte rate
  file.writeUInt16LE(2, 32); // block align
  file.writeUInt16LE(16, 34); // bits per sample
  file.write('data', 36, 'latin1');
  file.writeUInt32LE(samples * 2, 40);
  for (let index = 0; index < samples; index++) file.writeInt16LE(Math.round(Math.sin((index / rate) * 2 * Math.PI * 440) * 12_000), 44 + index * 2);
  return file;
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

test('speech: the audio reaches the caller byte for byte, streamed (the first chunk arrives before the upstream sends its last), priced per character', async () => {
  const input = 'Tollgate speaks: héllo wörld 👋';
  let release!: () => void;
  const events: string[] = [];
  fake.enqueue({ holdLastChunk: new Promise<void>((resolve) => (release = resolve)), events });
  const response = await client().audio.speech.create({ model: 'tts-1', voice: 'alloy', input }).asResponse();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'audio/mpeg');
  // Per character (code points: 30, the emoji one), at $0.000015 each.
  assert.equal([...input].length, 30);
  assert.equal(response.headers.get('x-tollgate-cost'), '0.00045');
  assert.equal(response.headers.get('x-tollgate-model'), 'tts-1');
  const reader = response.body!.getReader();
  const received: Buffer[] = [];
  const first = await reader.read();
  assert.equal(first.done, false);
  received.push(Buffer.from(first.value!));
  events.push('received-first');
  release();
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    received.push(Buffer.from(next.value));
  }
  assert.deepEqual(Buffer.concat(received), Buffer.concat(fakeSpeechChunks(input)));
  assert.deepEqual(events, ['sent-first', 'received-first', 'sent-last']);
  const sent = fake.requests.at(-1)!;
  assert.equal(sent.path, '/v1/audio/speech');
  assert.equal(sent.headers.authorization, `Bearer ${PROVIDER_KEY}`);
  assert.deepEqual(sent.body, { model: 'tts-1', voice: 'alloy', input });
});

test('speech under /openai/v1 too, and a bad body is refused in OpenAI\'s envelope before reaching the upstream', async () => {
  const audio = Buffer.from(await (await client(VIRTUAL_KEY, '/openai/v1').audio.speech.create({ model: 'tts-1', voice: 'nova', input: 'hi', response_format: 'wav' })).arrayBuffer());
  assert.deepEqual(audio, Buffer.concat(fakeSpeechChunks('hi')));
  const before = fake.requests.length;
  await assert.rejects(client().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: '' }), (error: unknown) => error instanceof OpenAI.BadRequestError && (error.error as { param: string }).param === 'input');
  assert.equal(fake.requests.length, before);
});

test('transcriptions in each response_format: the WAV reaches the upstream intact, fields and model with it; priced per second or per token', async () => {
  const wav = wavFile(2.5);
  const file = async (): Promise<File> => (await toFile(wav, 'hello.wav', { type: 'audio/wav' })) as File;
  const expected = `transcribe ${wav.length} bytes ${digest(wav)}`;

  const json = await client().audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'json', language: 'en' }).withResponse();
  assert.equal(json.data.text, expected);
  // usage.seconds 3 (rounded up by the fake) at $0.0001.
  assert.equal(json.response.headers.get('x-tollgate-cost'), '0.0003');
  const upload = receivedUploads.at(-1)!;
  assert.equal(upload.path, '/v1/audio/transcriptions');
  assert.equal(upload.file!.filename, 'hello.wav');
  assert.equal(upload.file!.mimeType, 'audio/wav');
  assert.deepEqual(upload.file!.bytes, wav);
  assert.deepEqual(Object.fromEntries(upload.fields), { model: 'whisper-1', response_format: 'json', language: 'en' });

  const verbose = await client().audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['segment'] }).withResponse();
  assert.equal(verbose.data.text, expected);
  assert.equal((verbose.data as unknown as { duration: number }).duration, 2.5);
  assert.equal(verbose.response.headers.get('x-tollgate-cost'), '0.0003');

  const text = await client().audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'text' }).withResponse();
  assert.equal(text.data as unknown as string, `${expected}\n`);
  // The text formats report no duration: served, cost unknown rather than $0.
  assert.equal(text.response.headers.get('x-tollgate-cost'), 'unknown');

  const srt = await client().audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'srt' });
  assert.equal(srt as unknown as string, `1\n00:00:00,000 --> 00:00:02,500\n${expected}\n\n`);
  const vtt = await client().audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'vtt' });
  assert.equal(vtt as unknown as string, `WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n${expected}\n\n`);

  // gpt-4o-transcribe bills tokens: 40 in at $2.5/M and 10 out at $10/M.
  const tokens = await client().audio.transcriptions.create({ file: await file(), model: 'gpt-4o-transcribe' }).withResponse();
  assert.equal(tokens.data.text, expected);
  assert.equal(tokens.response.headers.get('x-tollgate-cost'), '0.0002');
});

test('translations: the upload goes to /audio/translations; a provider that fails falls back to the next with the same file', async () => {
  const wav = wavFile(1);
  const translated = await client().audio.translations.create({ file: await toFile(wav, 'fr.wav', { type: 'audio/wav' }), model: 'whisper-1', response_format: 'verbose_json' }).withResponse();
  assert.equal(translated.data.text, `translate ${wav.length} bytes ${digest(wav)}`);
  assert.equal(receivedUploads.at(-1)!.path, '/v1/audio/translations');
  assert.equal(translated.response.headers.get('x-tollgate-cost'), '0.0001');

  broken.enqueue({ error: { status: 503, message: 'overloaded' } });
  const fallback = await client()
    .audio.transcriptions.create({ file: await toFile(wav, 'a.wav', { type: 'audio/wav' }), model: 'flaky-whisper' }, { headers: { 'x-tollgate-fallbacks': 'whisper-1' } })
    .withResponse();
  assert.equal(fallback.data.text, `transcribe ${wav.length} bytes ${digest(wav)}`);
  assert.equal(fallback.response.headers.get('x-tollgate-model'), 'whisper-1');
  assert.equal(fallback.response.headers.get('x-tollgate-attempts'), '2');
  assert.deepEqual(receivedUploads.at(-1)!.file!.bytes, wav);
});

test('a key refused the model never reaches the upstream; an oversized upload is refused with a clear error; no upload is left on disk', async () => {
  const before = fake.requests.length;
  await assert.rejects(
    client(SPEECH_ONLY).audio.transcriptions.create({ file: await toFile(wavFile(0.5), 'a.wav', { type: 'audio/wav' }), model: 'whisper-1' }),
    (error: unknown) => error instanceof OpenAI.PermissionDeniedError && (error.error as { code: string }).code === 'model_not_allowed',
  );
  const big = wavFile((MAX_UPLOAD * 2) / 16_000);
  await assert.rejects(client().audio.transcriptions.create({ file: await toFile(big, 'big.wav', { type: 'audio/wav' }), model: 'whisper-1' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError && error.status === 413, String(error));
    const body = error.error as { code: string; message: string };
    assert.equal(body.code, 'body_too_large');
    assert.match(body.message, /audio\.max_upload_bytes/);
    return true;
  });
  const missing = await fetch(`${running.url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${VIRTUAL_KEY}`, 'content-type': 'application/json' }, body: '{"model":"whisper-1"}' });
  assert.equal(missing.status, 415);
  assert.equal(fake.requests.length, before);
  // Spooled uploads are removed once answered (the response's close may come just after the SDK has its answer;
  // other test files running at the same time spool theirs too, so wait for the directory to empty).
  let left: string[] = [];
  for (let round = 0; round < 100; round++) {
    left = (await readdir(tmpdir())).filter((name) => name.startsWith('tollgate-upload-'));
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual(left, []);
});

test('Azure: speech and transcriptions go to the deployment with api-version and the api-key header', async () => {
  const audio = Buffer.from(await (await client().audio.speech.create({ model: 'azure-tts', voice: 'alloy', input: 'azure' })).arrayBuffer());
  assert.deepEqual(audio, Buffer.concat(fakeSpeechChunks('azure')));
  const sent = fake.requests.at(-1)!;
  assert.match(sent.path, /^\/openai\/deployments\/tts-east\/audio\/speech\?api-version=/);
  assert.equal(sent.headers['api-key'], PROVIDER_KEY);
  assert.equal(sent.headers.authorization, undefined);
  const wav = wavFile(0.5);
  const text = await client().audio.transcriptions.create({ file: await toFile(wav, 'a.wav', { type: 'audio/wav' }), model: 'azure-tts', response_format: 'text' });
  assert.equal(text as unknown as string, `transcribe ${wav.length} bytes ${digest(wav)}\n`);
  assert.match(receivedUploads.at(-1)!.path, /^\/openai\/deployments\/tts-east\/audio\/transcriptions\?api-version=/);
});

test('hostile uploads: malformed, cut short, two files, no model, no boundary: each a clear 4xx in OpenAI\'s envelope, nothing sent upstream', async () => {
  const before = fake.requests.length;
  const post = async (body: string, type = 'multipart/form-data; boundary=x'): Promise<{ status: number; code: string; param: string | null }> => {
    const answer = await fetch(`${running.url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${VIRTUAL_KEY}`, 'content-type': type }, body });
    const error = ((await answer.json()) as { error: { code: string; param: string | null } }).error;
    return { status: answer.status, code: error.code, param: error.param };
  };
  const part = (name: string, value: string, filename?: string): string =>
    `--x\r\ncontent-disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}\r\n${filename === undefined ? '' : 'content-type: audio/wav\r\n'}\r\n${value}\r\n`;
  assert.deepEqual(await post('this is not multipart at all'), { status: 400, code: 'invalid_request', param: null });
  assert.deepEqual(await post(`${part('model', 'whisper-1')}--x\r\ncontent-disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF`), { status: 400, code: 'invalid_request', param: null });
  assert.deepEqual(await post(`${part('file', 'RIFF', 'a.wav')}${part('file', 'RIFF', 'b.wav')}${part('model', 'whisper-1')}--x--\r\n`), { status: 400, code: 'invalid_request', param: 'file' });
  assert.deepEqual(await post(`${part('file', 'RIFF', 'a.wav')}--x--\r\n`), { status: 400, code: 'invalid_request', param: 'model' });
  assert.deepEqual(await post(`${part('model', 'whisper-1')}--x--\r\n`), { status: 400, code: 'invalid_request', param: 'file' });
  assert.deepEqual(await post(`${part('file', 'RIFF', 'a.wav')}${part('model', 'whisper-1')}${part('response_format', 'mp3')}--x--\r\n`), { status: 400, code: 'invalid_request', param: 'response_format' });
  assert.deepEqual(await post(`${part('file', 'RIFF', 'a.wav')}${part('model', 'w'.repeat(70_000))}--x--\r\n`), { status: 400, code: 'invalid_request', param: 'model' });
  const noBoundary = await post('x', 'multipart/form-data; charset=utf-8');
  assert.equal(noBoundary.status, 400);
  assert.equal(fake.requests.length, before);
  // The gateway still serves.
  const text = await client().audio.transcriptions.create({ file: await toFile(wavFile(0.2), 'a.wav', { type: 'audio/wav' }), model: 'whisper-1', response_format: 'text' });
  assert.match(text as unknown as string, /^transcribe /);
});

test('speech: a provider failing before any byte is fallen back from; an upstream error otherwise reaches the caller in OpenAI\'s envelope, unbilled', async () => {
  broken.enqueue({ error: { status: 503, message: 'overloaded' } });
  const response = await client().audio.speech.create({ model: 'flaky-tts', voice: 'alloy', input: 'fallback' }, { headers: { 'x-tollgate-fallbacks': 'tts-1' } }).asResponse();
  assert.equal(response.headers.get('x-tollgate-model'), 'tts-1');
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
  assert.deepEqual(Buffer.from(await response.arrayBuffer()), Buffer.concat(fakeSpeechChunks('fallback')));

  broken.enqueue({ error: { status: 400, message: 'voice unknown' } });
  await assert.rejects(client().audio.speech.create({ model: 'flaky-tts', voice: 'nobody', input: 'x' }).asResponse(), (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError && error.status === 400, String(error));
    assert.equal(error.headers?.get('x-tollgate-cost'), '0');
    assert.ok(!JSON.stringify(error.error).includes(PROVIDER_KEY));
    return true;
  });
});
