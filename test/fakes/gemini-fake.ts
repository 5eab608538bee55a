import type { ServerResponse } from 'node:http';
import { fakeTokenCount, startFake, writeEvents, type FakeDialect, type FakeHandlerContext, type FakeReply, type FakeUpstream, type RequestSummary } from './fake-upstream.js';

/**
 * A loopback stand-in for generativelanguage.googleapis.com (`/v1beta/models/{model}:{method}`),
 * answering in Gemini's documented wire format (https://ai.google.dev/api/generate-content):
 * `:generateContent`, `:streamGenerateContent?alt=sse` (`data: {…}\r\n\r\n` events, no `[DONE]`,
 * cumulative usageMetadata on every chunk) and `:batchEmbedContents`. It is written from the docs,
 * not from our codec, so tests catch the codec drifting from the real API.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const STATUS_WORDS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const FINISH_REASONS: Record<NonNullable<FakeReply['finish']>, string> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  // Gemini has no finish reason of its own for function calls: it says STOP.
  'tool-calls': 'STOP',
  'content-filter': 'SAFETY',
};

let responseCounter = 0;

/** Google's error envelope; 429s carry a RetryInfo detail (Gemini sends no Retry-After header). */
export function sendError(response: ServerResponse, status: number, message: string, retryAfterSeconds?: number): void {
  const details: Json[] = [];
  if (retryAfterSeconds !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` });
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify({ error: { code: status, message, status: STATUS_WORDS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'), ...(details.length > 0 ? { details } : {}) } }, null, 2));
}

function parsePath(path: string): { model: string; method: string; query: string } | undefined {
  const match = /^\/v1beta\/models\/([^/:?]+):([A-Za-z]+)(?:\?(.*))?$/.exec(path);
  if (match === null) return undefined;
  return { model: decodeURIComponent(match[1]!), method: match[2]!, query: match[3] ?? '' };
}

/**
 * FakeReply usage in Gemini's terms: promptTokenCount includes cached tokens; output is split into
 * candidatesTokenCount and thoughtsTokenCount (FakeReply's `output` includes the reasoning).
 */
function usageMetadataOf(reply: FakeReply, outputShare = 1): Json {
  const usage = reply.usage ?? { input: 0, output: 0 };
  const thoughts = usage.reasoning ?? 0;
  const candidates = Math.round((usage.output - thoughts) * outputShare);
  const metadata: Json = { promptTokenCount: usage.input, candidatesTokenCount: candidates, totalTokenCount: usage.input + candidates + thoughts };
  if (usage.cachedInput) metadata.cachedContentTokenCount = usage.cachedInput;
  if (thoughts > 0) metadata.thoughtsTokenCount = thoughts;
  return metadata;
}

function signatureOf(seed: string): string {
  return Buffer.from(`fake-thought-signature:${seed}`).toString('base64');
}

function argsOf(argumentsText: string): Json {
  const parsed: unknown = JSON.parse(argumentsText || '{}');
  return isObject(parsed) ? parsed : {};
}

/** Function calls come whole, without ids (as gemini-2.x answers); the first carries the signature. */
function functionCallParts(reply: FakeReply): Json[] {
  return (reply.toolCalls ?? []).map((call, index) => ({
    functionCall: { name: call.name, args: argsOf(call.arguments) },
    ...(index === 0 && reply.reasoning ? { thoughtSignature: signatureOf(call.name) } : {}),
  }));
}

function finishReasonOf(reply: FakeReply): string {
  return FINISH_REASONS[reply.finish ?? 'stop'];
}

function responseOf(model: string, id: string, parts: Json[], extra: Json): Json {
  return { candidates: [{ content: { parts, role: 'model' }, ...extra, index: 0 }], modelVersion: model, responseId: id };
}

function renderComplete(reply: FakeReply, model: string): Json {
  const parts: Json[] = [];
  if (reply.reasoning) parts.push({ text: reply.reasoning, thought: true });
  if (reply.text) parts.push({ text: reply.text });
  parts.push(...functionCallParts(reply));
  const body = responseOf(model, `fake-response-${++responseCounter}`, parts, { finishReason: finishReasonOf(reply) });
  body.usageMetadata = usageMetadataOf(reply);
  return body;
}

/** Splits text into a few pieces so streams have several chunks. */
function pieces(text: string, count = 3): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const result: string[] = [];
  for (let start = 0; start < text.length; start += size) result.push(text.slice(start, start + size));
  return result;
}

function renderStream(reply: FakeReply, model: string): string[] {
  const id = `fake-response-${++responseCounter}`;
  const chunks: Json[][] = [];
  if (reply.reasoning) for (const piece of pieces(reply.reasoning, 2)) chunks.push([{ text: piece, thought: true }]);
  if (reply.text) for (const piece of pieces(reply.text)) chunks.push([{ text: piece }]);
  const calls = functionCallParts(reply);
  if (calls.length > 0) chunks.push(calls);
  const frames: string[] = [];
  chunks.forEach((parts, index) => {
    const body = responseOf(model, id, parts, {});
    body.usageMetadata = usageMetadataOf(reply, (index + 1) / (chunks.length + 1));
    frames.push(`data: ${JSON.stringify(body)}\r\n\r\n`);
  });
  // The last chunk: an empty text part, the finishReason and the final usage.
  const last = responseOf(model, id, [{ text: '' }], { finishReason: finishReasonOf(reply) });
  last.usageMetadata = usageMetadataOf(reply);
  frames.push(`data: ${JSON.stringify(last)}\r\n\r\n`);
  return frames;
}

function renderEmbeddings(body: unknown): Json {
  const requests = isObject(body) && Array.isArray(body.requests) ? body.requests : [];
  return {
    embeddings: requests.map((entry) => {
      const text = isObject(entry) && isObject(entry.content) && Array.isArray(entry.content.parts) ? entry.content.parts.map((part) => (isObject(part) ? String(part.text ?? '') : '')).join('') : '';
      const dimensions = isObject(entry) && typeof entry.outputDimensionality === 'number' ? entry.outputDimensionality : 8;
      return { values: Array.from({ length: dimensions }, (_, index) => ((text.charCodeAt(index % Math.max(1, text.length)) || 0) % 97) / 97) };
    }),
  };
}

function textOfParts(parts: Json[]): string {
  return parts.filter((part) => typeof part.text === 'string' && part.thought !== true).map((part) => part.text as string).join('');
}

function summarize(path: string, body: unknown): RequestSummary | undefined {
  const target = parsePath(path);
  if (target === undefined) return undefined;
  return summarizeGenerateContent(target.model, target.method, body);
}

/** Reads a generateContent body sent to `model` with `method` (also Gemini on Vertex AI). */
export function summarizeGenerateContent(model: string, method: string, body: unknown): RequestSummary | undefined {
  const target = { model, method };
  if (method !== 'generateContent' && method !== 'streamGenerateContent') return undefined;
  if (!isObject(body)) return undefined;
  const system = isObject(body.systemInstruction) && Array.isArray(body.systemInstruction.parts) ? textOfParts(body.systemInstruction.parts.filter(isObject)) : undefined;
  const messages: RequestSummary['messages'] = [];
  for (const content of Array.isArray(body.contents) ? body.contents.filter(isObject) : []) {
    const parts = Array.isArray(content.parts) ? content.parts.filter(isObject) : [];
    const responses = parts.filter((part) => isObject(part.functionResponse));
    for (const part of responses) {
      const response = part.functionResponse as Json;
      messages.push({ role: 'tool', text: JSON.stringify(response.response), images: [], toolCalls: [], toolCallId: String(response.id ?? response.name) });
    }
    const others = parts.filter((part) => !isObject(part.functionResponse));
    if (others.length === 0) continue;
    const images = others.flatMap((part): RequestSummary['messages'][number]['images'] => {
      if (isObject(part.inlineData)) return [{ data: String(part.inlineData.data), mediaType: String(part.inlineData.mimeType) }];
      if (isObject(part.fileData)) return [{ url: String(part.fileData.fileUri), ...(typeof part.fileData.mimeType === 'string' ? { mediaType: part.fileData.mimeType } : {}) }];
      return [];
    });
    const toolCalls = others
      .filter((part) => isObject(part.functionCall))
      .map((part) => {
        const call = part.functionCall as Json;
        return { id: String(call.id ?? call.name), name: String(call.name), arguments: call.args ?? {} };
      });
    messages.push({ role: content.role === 'model' ? 'assistant' : 'user', text: textOfParts(others), images, toolCalls });
  }
  const tools = Array.isArray(body.tools)
    ? body.tools.filter(isObject).flatMap((tool) => (Array.isArray(tool.functionDeclarations) ? tool.functionDeclarations.filter(isObject).map((declaration) => String(declaration.name)) : []))
    : [];
  const config = isObject(body.generationConfig) ? body.generationConfig : {};
  return {
    model: target.model,
    stream: target.method === 'streamGenerateContent',
    system: system || undefined,
    messages,
    tools,
    maxOutputTokens: typeof config.maxOutputTokens === 'number' ? config.maxOutputTokens : undefined,
    temperature: typeof config.temperature === 'number' ? config.temperature : undefined,
  };
}

async function handle(context: FakeHandlerContext): Promise<void> {
  const { request, response, reply } = context;
  const target = parsePath(context.path);
  if (request.method !== 'POST' || target === undefined) {
    sendError(response, 404, `Method not found: ${context.path}`);
    return;
  }
  if (request.headers['x-goog-api-key'] === undefined) {
    sendError(response, 403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
    return;
  }
  return answerGenerateContent(context, target);
}

/** Answers `method` for `model` with the scripted reply, in Google's format (also Gemini on Vertex AI). */
export async function answerGenerateContent(context: FakeHandlerContext, target: { model: string; method: string; query: string }): Promise<void> {
  const { response, reply } = context;
  if (reply.error) {
    sendError(response, reply.error.status, reply.error.message, reply.error.retryAfterSeconds);
    return;
  }
  switch (target.method) {
    case 'generateContent':
      response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify(asksForImages(context.body) ? renderImageContent(context.body as Json, target.model) : renderComplete(reply, target.model), null, 2));
      return;
    case 'predict':
      // Imagen: `sampleCount` images, base64, no usage (billed per image).
      response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify(renderPredictions(context.body)));
      return;
    case 'streamGenerateContent':
      if (!new URLSearchParams(target.query).has('alt')) {
        sendError(response, 400, 'This fake serves only `alt=sse` streams.');
        return;
      }
      await writeEvents(context, renderStream(reply, target.model));
      return;
    case 'countTokens':
      response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify({ totalTokens: fakeTokenCount(context.body) }));
      return;
    case 'batchEmbedContents':
      response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify(renderEmbeddings(context.body)));
      return;
    default:
      sendError(response, 404, `Method not found: ${target.method}`);
  }
}

/** A one-pixel PNG, every image the fake makes. */
export const GEMINI_FAKE_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function asksForImages(body: unknown): boolean {
  const config = isObject(body) && isObject(body.generationConfig) ? body.generationConfig : undefined;
  return Array.isArray(config?.responseModalities) && config.responseModalities.includes('IMAGE');
}

/** Gemini's image models: per candidate a text part and an `inlineData` PNG; 1,290 image tokens each (Google's figure for a 1024² image). */
function renderImageContent(body: Json, model: string): Json {
  const config = body.generationConfig as Json;
  const count = typeof config.candidateCount === 'number' ? config.candidateCount : 1;
  const candidates = Array.from({ length: count }, (_, index) => ({ content: { role: 'model', parts: [{ text: 'Here is your image.' }, { inlineData: { mimeType: 'image/png', data: GEMINI_FAKE_PNG } }] }, finishReason: 'STOP', index }));
  const images = 1290 * count;
  return { candidates, modelVersion: model, responseId: `fake-image-${++responseCounter}`, usageMetadata: { promptTokenCount: 12, candidatesTokenCount: images + 5, totalTokenCount: 12 + images + 5, candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: 5 }, { modality: 'IMAGE', tokenCount: images }] } };
}

function renderPredictions(body: unknown): Json {
  const parameters = isObject(body) && isObject(body.parameters) ? body.parameters : {};
  const count = typeof parameters.sampleCount === 'number' ? parameters.sampleCount : 1;
  return { predictions: Array.from({ length: count }, () => ({ bytesBase64Encoded: GEMINI_FAKE_PNG, mimeType: 'image/png' })) };
}

const geminiDialect: FakeDialect = { summarize, handle };

/** Starts the Gemini fake; configure the provider's `base_url` as `${fake.url}/v1beta`. */
export function startGeminiFake(): Promise<FakeUpstream> {
  return startFake(geminiDialect);
}
