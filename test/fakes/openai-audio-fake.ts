import { createHash } from 'node:crypto';
import busboy from 'busboy';
import { sleep, type FakeHandlerContext } from './fake-upstream.js';

/**
 * OpenAI's audio endpoints, written from OpenAI's API reference: `POST /audio/speech` answers the
 * audio bytes (here deterministic ones made from the input) in several chunks; `POST
 * /audio/transcriptions` and `/audio/translations` take a multipart upload (parsed with busboy, not
 * with anything of ours) and answer in the `response_format` asked for: `json` (`{text, usage}`:
 * tokens for gpt-4o-* models, seconds otherwise), `verbose_json` (with `duration` and `segments`),
 * `text`, `srt` or `vtt`. The duration is read from the WAV header the test generated.
 */
export function isAudioPath(path: string): boolean {
  return /\/audio\/(?:speech|transcriptions|translations)(?:\?|$)/.test(path);
}

/** Chunks the fake's speech answer comes in. */
export const SPEECH_CHUNKS = 5;
const SPEECH_CHUNK_BYTES = 8 * 1024;

/** The audio the fake speaks for `input`: SPEECH_CHUNKS chunks of bytes derived from it. */
export function fakeSpeechChunks(input: string): Buffer[] {
  const chunks: Buffer[] = [];
  let seed = createHash('sha256').update(input).digest();
  for (let index = 0; index < SPEECH_CHUNKS; index++) {
    const chunk = Buffer.alloc(SPEECH_CHUNK_BYTES);
    for (let offset = 0; offset < chunk.length; offset += seed.length) {
      seed = createHash('sha256').update(seed).digest();
      seed.copy(chunk, offset);
    }
    chunks.push(chunk);
  }
  return chunks;
}

/** One upload the fake received: its fields in order and its file. */
export interface ReceivedUpload {
  path: string;
  fields: Array<[string, string]>;
  /** Field names and `file`, in the order the parts came. */
  order: string[];
  file: { name: string; filename: string; mimeType: string; bytes: Buffer } | undefined;
}

/** Uploads the audio fakes received, oldest first (every fake instance in the process). */
export const receivedUploads: ReceivedUpload[] = [];

export async function handleAudio(context: FakeHandlerContext): Promise<void> {
  const path = context.path.split('?')[0]!;
  if (path.endsWith('/audio/speech')) return speak(context);
  const upload = await parseUpload(context);
  receivedUploads.push(upload);
  const field = (name: string): string | undefined => upload.fields.find(([key]) => key === name)?.[1];
  if (upload.file === undefined || field('model') === undefined) {
    return sendJson(context, 400, { error: { message: 'file and model are required', type: 'invalid_request_error', param: upload.file === undefined ? 'file' : 'model', code: null } });
  }
  const model = field('model')!;
  const format = field('response_format') ?? 'json';
  const seconds = wavSeconds(upload.file.bytes);
  const digest = createHash('sha256').update(upload.file.bytes).digest('hex').slice(0, 16);
  const task = path.endsWith('/translations') ? 'translate' : 'transcribe';
  const text = `${task} ${upload.file.bytes.length} bytes ${digest}`;
  const tokens = model.startsWith('gpt-4o');
  const usage = tokens ? { type: 'tokens', input_tokens: 40, output_tokens: 10, total_tokens: 50 } : { type: 'duration', seconds: Math.ceil(seconds) };
  switch (format) {
    case 'json':
      return sendJson(context, 200, task === 'translate' ? { text } : { text, usage });
    case 'verbose_json':
      return sendJson(context, 200, { task, language: 'english', duration: seconds, text, segments: [{ id: 0, seek: 0, start: 0, end: seconds, text, tokens: [1, 2], temperature: 0, avg_logprob: -0.2, compression_ratio: 1, no_speech_prob: 0 }], ...(task === 'translate' ? {} : { usage: { type: 'duration', seconds: Math.ceil(seconds) } }) });
    case 'text':
      return sendText(context, 'text/plain; charset=utf-8', `${text}\n`);
    case 'srt':
      return sendText(context, 'text/plain; charset=utf-8', `1\n00:00:00,000 --> ${timestamp(seconds, ',')}\n${text}\n\n`);
    case 'vtt':
      return sendText(context, 'text/plain; charset=utf-8', `WEBVTT\n\n00:00:00.000 --> ${timestamp(seconds, '.')}\n${text}\n\n`);
    default:
      return sendJson(context, 400, { error: { message: `Invalid response_format ${format}`, type: 'invalid_request_error', param: 'response_format', code: null } });
  }
}

async function speak(context: FakeHandlerContext): Promise<void> {
  const body = context.body as { input?: unknown; response_format?: unknown };
  if (typeof body?.input !== 'string') return sendJson(context, 400, { error: { message: 'input is required', type: 'invalid_request_error', param: 'input', code: null } });
  const chunks = fakeSpeechChunks(body.input);
  const { response, reply } = context;
  response.writeHead(200, { 'content-type': body.response_format === 'wav' ? 'audio/wav' : 'audio/mpeg', 'transfer-encoding': 'chunked' });
  for (let index = 0; index < chunks.length; index++) {
    if (context.closed()) return;
    if (index === chunks.length - 1 && reply.holdLastChunk !== undefined) await Promise.race([reply.holdLastChunk, sleep(5_000)]);
    if (index === chunks.length - 1) reply.events?.push('sent-last');
    response.write(chunks[index]);
    if (index === 0) reply.events?.push('sent-first');
    await sleep(reply.eventIntervalMs ?? 5);
  }
  response.end();
}

function parseUpload(context: FakeHandlerContext): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    const upload: ReceivedUpload = { path: context.path, fields: [], order: [], file: undefined };
    const parser = busboy({ headers: context.request.headers });
    parser.on('field', (name, value) => {
      upload.fields.push([name, value]);
      upload.order.push(name);
    });
    parser.on('file', (name, stream, info) => {
      upload.order.push(name);
      const parts: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => parts.push(chunk));
      stream.on('end', () => {
        upload.file = { name, filename: info.filename ?? '', mimeType: info.mimeType, bytes: Buffer.concat(parts) };
      });
    });
    parser.on('close', () => resolve(upload));
    parser.on('error', reject);
    parser.end(context.raw);
  });
}

/** Seconds of PCM audio in a WAV file: data bytes / byte rate. */
function wavSeconds(bytes: Buffer): number {
  if (bytes.length < 44 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') return 0;
  const byteRate = bytes.readUInt32LE(28);
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'data') return byteRate === 0 ? 0 : size / byteRate;
    offset += 8 + size;
  }
  return 0;
}

function timestamp(seconds: number, separator: string): string {
  const millis = Math.round(seconds * 1000);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${pad(Math.floor(millis / 3_600_000))}:${pad(Math.floor(millis / 60_000) % 60)}:${pad(Math.floor(millis / 1000) % 60)}${separator}${pad(millis % 1000, 3)}`;
}

function sendJson(context: FakeHandlerContext, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  context.response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  context.response.end(text);
}

function sendText(context: FakeHandlerContext, type: string, text: string): void {
  context.response.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  context.response.end(text);
}
