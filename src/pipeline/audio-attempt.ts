import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { SpooledFile } from '../http/multipart-upload.js';
import { pickKey } from '../providers/instance.js';
import type { AudioOperation, ProviderKey, UpstreamHttpRequest } from '../providers/provider.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { MAX_RESPONSE_BYTES, readResponseText } from '../providers/transport/read-body.js';
import { GatewayError, type Usage } from '../spec/index.js';
import type { OperationResult } from './endpoint.js';
import { redactingStream } from './redacting-stream.js';
import type { Target } from './target.js';
import { scrubbed, sendAttempt } from './upstream-call.js';

/** `POST /v1/audio/speech`: OpenAI's JSON body, forwarded with the target's model. */
export interface SpeechRequest {
  model: string;
  /** The text to speak; billed per character. */
  input: string;
  body: Record<string, unknown>;
}

/** The audio as it arrives from the upstream, streamed through to the caller. */
export interface SpeechResponse {
  contentType: string;
  body: AsyncIterable<Buffer>;
}

/** `POST /v1/audio/transcriptions` and `/translations`: the caller's fields and its spooled file. */
export interface TranscriptionRequest {
  operation: 'audio/transcriptions' | 'audio/translations';
  model: string;
  /** Every field but `file`, in order, `model` included (replaced by the target's model upstream). */
  fields: Array<[string, string]>;
  file: SpooledFile;
  responseFormat: string;
}

/** The upstream's answer, whole (JSON or text; small), in the format the caller asked for. */
export interface TranscriptionResponse {
  contentType: string;
  body: string;
}

/**
 * One text-to-speech attempt: the upstream's audio is not read here but handed to the endpoint to
 * stream through, so a fallback happens only before any byte reached the caller. The cost is known
 * before streaming: the input's characters (Unicode code points).
 */
export async function attemptSpeech(target: Target, request: SpeechRequest, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<SpeechResponse>> {
  const { key, url, headers } = audioTarget(target, 'audio/speech');
  const built: UpstreamHttpRequest = { url, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ ...request.body, model: target.model }) };
  const { response: answer, scrubber } = await sendAttempt(target, key, built, transport, signal);
  const contentType = String(answer.headers['content-type'] ?? 'audio/mpeg');
  const usage: Usage = { inputTokens: undefined, outputTokens: undefined, characters: countCharacters(request.input) };
  return { keyId: key?.id, usage, response: { contentType, body: redactingStream(answer.body, scrubber.exactSecrets()) } };
}

/**
 * One transcription (or translation) attempt: the spooled upload re-encoded as multipart and
 * streamed from disk, fields first and the file last, so each attempt (a fallback included) sends
 * it anew. Usage from the answer: `usage` tokens (gpt-4o-transcribe), `usage.seconds` or a
 * verbose_json `duration` (whisper, billed by the second); none for `text`, `srt` and `vtt`.
 */
export async function attemptTranscription(target: Target, request: TranscriptionRequest, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<TranscriptionResponse>> {
  const { key, url, headers } = audioTarget(target, request.operation);
  const fields = request.fields.map(([name, value]): [string, string] => [name, name === 'model' ? target.model : value]);
  const body = multipartBody(fields, request.file);
  const built: UpstreamHttpRequest = { url, method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${body.boundary}`, 'content-length': String(body.length) }, stream: body.stream };
  const { response: answer, scrubber } = await sendAttempt(target, key, built, transport, signal);
  let text: string;
  try {
    text = scrubber.redactSecrets(await readResponseText(answer, MAX_RESPONSE_BYTES));
  } catch (error) {
    throw scrubbed(error, scrubber);
  }
  const contentType = String(answer.headers['content-type'] ?? (request.responseFormat === 'json' || request.responseFormat === 'verbose_json' ? 'application/json' : 'text/plain; charset=utf-8'));
  return { keyId: key?.id, usage: transcriptionUsage(text, contentType), response: { contentType, body: text } };
}

function audioTarget(target: Target, operation: AudioOperation): { key: ProviderKey | undefined; url: string; headers: Record<string, string> } {
  const provider = target.provider;
  const adapter = provider.adapter;
  if (adapter.audioTarget === undefined || adapter.local !== undefined) {
    throw new GatewayError('operation_not_supported', `Provider \`${provider.name}\` (${adapter.type}) does not serve ${operation}.`, { param: 'model' });
  }
  const key = target.key ?? pickKey(provider, target.model);
  return { key, ...adapter.audioTarget(operation, target.model, key, provider.settings) };
}

/** Characters as the providers count them: Unicode code points. */
export function countCharacters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** What a transcription answer says was used: tokens when it reports them, else seconds of audio. */
function transcriptionUsage(text: string, contentType: string): Usage | undefined {
  if (!/\bjson\b/i.test(contentType)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const answer = parsed as { usage?: { type?: unknown; input_tokens?: unknown; output_tokens?: unknown; seconds?: unknown }; duration?: unknown };
  const usage = answer.usage;
  if (usage !== undefined && typeof usage.input_tokens === 'number' && typeof usage.output_tokens === 'number') return { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens };
  const seconds = typeof usage?.seconds === 'number' ? usage.seconds : typeof answer.duration === 'number' ? answer.duration : undefined;
  return seconds === undefined || !Number.isFinite(seconds) || seconds < 0 ? undefined : { inputTokens: undefined, outputTokens: undefined, audioSeconds: seconds };
}

/** A multipart/form-data body of `fields` then `file`, streamed from disk, and its exact length (each call streams the file anew). */
export function multipartBody(fields: ReadonlyArray<[string, string]>, file: SpooledFile): { boundary: string; length: number; stream: AsyncIterable<Buffer> } {
  const boundary = `----tollgate${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    fields.map(([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`).join('') +
      `--${boundary}\r\ncontent-disposition: form-data; name="${quoted(file.field)}"; filename="${quoted(file.filename)}"\r\ncontent-type: ${file.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* stream(): AsyncIterable<Buffer> {
    yield head;
    for await (const chunk of createReadStream(file.path, { highWaterMark: 64 * 1024 })) yield chunk as Buffer;
    yield tail;
  }
  return { boundary, length: head.length + file.size + tail.length, stream: stream() };
}

function quoted(value: string): string {
  return value.replace(/[\r\n"]/g, (character) => encodeURIComponent(character));
}
