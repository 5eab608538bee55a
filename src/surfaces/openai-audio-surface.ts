import { Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { readMultipartUpload, type MultipartLimits } from '../http/multipart-upload.js';
import { sendError } from '../http/respond.js';
import { attemptSpeech, attemptTranscription, type SpeechRequest, type SpeechResponse, type TranscriptionRequest, type TranscriptionResponse } from '../pipeline/audio-attempt.js';
import type { RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import { GatewayError } from '../spec/index.js';
import { responseHeaders } from './response-headers.js';
import type { SurfaceDependencies } from './surface.js';

const PREFIXES = ['/v1', '/openai/v1'];
const RESPONSE_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'];
/** OpenAI's own bound on `input`. */
const MAX_SPEECH_INPUT = 4096;

export interface AudioSurfaceDependencies extends SurfaceDependencies {
  /** `audio.max_upload_bytes` and `server.body_idle_timeout_ms`. */
  upload: MultipartLimits;
}

/**
 * OpenAI's audio API under /v1 and /openai/v1: `audio/speech` (JSON in, the audio streamed back as
 * it arrives) and `audio/transcriptions` and `audio/translations` (a multipart upload, spooled to a
 * temporary file and streamed to the provider; the answer in the `response_format` asked for).
 */
export function openaiAudioRoutes({ pipeline, upload }: AudioSurfaceDependencies): HttpRoute[] {
  const speech: OperationEndpoint<SpeechRequest, SpeechResponse> = {
    surface: 'openai',
    operation: 'audio.speech',
    readsBody: true,
    decode: decodeSpeech,
    model: (request) => request.model,
    inputTokens: (request) => Math.ceil(request.input.length / 4),
    attempt: attemptSpeech,
    send: sendSpeech,
    sendError: sendOpenAIError,
  };
  const transcription = (operation: TranscriptionRequest['operation']): OperationEndpoint<TranscriptionRequest, TranscriptionResponse> => ({
    surface: 'openai',
    operation: operation === 'audio/transcriptions' ? 'audio.transcriptions' : 'audio.translations',
    readsBody: false,
    decode: async (_body, exchange) => decodeTranscription(operation, await readMultipartUpload(exchange, upload)),
    model: (request) => request.model,
    attempt: attemptTranscription,
    send(exchange, context, response) {
      const body = Buffer.from(response.body);
      exchange.response.writeHead(200, { ...responseHeaders(context), 'content-type': response.contentType, 'content-length': String(body.length) });
      exchange.response.end(body);
    },
    sendError: sendOpenAIError,
  });
  const handlers = {
    speech: pipeline.operationHandler(speech),
    transcriptions: pipeline.operationHandler(transcription('audio/transcriptions')),
    translations: pipeline.operationHandler(transcription('audio/translations')),
  };
  return PREFIXES.flatMap((prefix) =>
    Object.entries(handlers).map(([path, handler]): HttpRoute => ({ method: 'POST', path: `${prefix}/audio/${path}`, handler, renderError: encodeOpenAIError, ownsHeaders: true })),
  );
}

function decodeSpeech(body: unknown): SpeechRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_request', 'The body must be a JSON object with `model`, `input` and `voice`.');
  const fields = body as Record<string, unknown>;
  if (typeof fields.model !== 'string' || fields.model.length === 0) throw new GatewayError('invalid_request', '`model` must be a non-empty string.', { param: 'model' });
  if (typeof fields.input !== 'string' || fields.input.length === 0) throw new GatewayError('invalid_request', '`input` must be a non-empty string: the text to speak.', { param: 'input' });
  if (fields.input.length > MAX_SPEECH_INPUT) throw new GatewayError('invalid_request', `\`input\` may be at most ${MAX_SPEECH_INPUT} characters.`, { param: 'input' });
  if (typeof fields.voice !== 'string' && (fields.voice === null || typeof fields.voice !== 'object')) throw new GatewayError('invalid_request', '`voice` must name a voice.', { param: 'voice' });
  return { model: fields.model, input: fields.input, body: fields };
}

function decodeTranscription(operation: TranscriptionRequest['operation'], upload: Awaited<ReturnType<typeof readMultipartUpload>>): TranscriptionRequest {
  const file = upload.file;
  if (file === undefined || file.field !== 'file') throw new GatewayError('invalid_request', 'The upload needs the audio in a `file` part.', { param: 'file' });
  if (file.size === 0) throw new GatewayError('invalid_request', 'The `file` part is empty.', { param: 'file' });
  const model = upload.fields.find(([name]) => name === 'model')?.[1];
  if (model === undefined || model.length === 0) throw new GatewayError('invalid_request', 'The upload needs a `model` field.', { param: 'model' });
  const responseFormat = upload.fields.find(([name]) => name === 'response_format')?.[1] ?? 'json';
  if (!RESPONSE_FORMATS.includes(responseFormat)) throw new GatewayError('invalid_request', `\`response_format\` must be one of ${RESPONSE_FORMATS.join(', ')}.`, { param: 'response_format' });
  return { operation, model, fields: upload.fields, file, responseFormat };
}

/** Streams the audio through as the upstream sends it; the cost header is already set (per character). */
async function sendSpeech(exchange: HttpExchange, context: RequestContext, answer: SpeechResponse): Promise<void> {
  const response = exchange.response;
  response.writeHead(200, { ...responseHeaders(context), 'content-type': answer.contentType });
  response.flushHeaders();
  try {
    await pipe(Readable.from(answer.body), response, { signal: exchange.signal });
  } catch {
    // The caller left or the upstream broke off: the audio is cut short, as the upstream's was.
    response.destroy();
  }
}

function sendOpenAIError(exchange: HttpExchange, context: RequestContext, error: GatewayError): void {
  sendError(exchange.response, error, encodeOpenAIError, responseHeaders(context));
}
