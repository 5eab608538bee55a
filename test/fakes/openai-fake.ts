import { createHash } from 'node:crypto';
import { handleAudio, isAudioPath } from './openai-audio-fake.js';
import { handleImageUpload, isImageUploadPath } from './openai-image-upload-fake.js';
import { fakeTokenCount, startFake, writeEvents, type FakeDialect, type FakeHandlerContext, type FakeReply, type FakeUpstream, type RequestSummary } from './fake-upstream.js';

/**
 * A loopback upstream speaking OpenAI's wire format, written from OpenAI's API reference and
 * independently of our codecs. It serves `/v1/chat/completions`, `/v1/embeddings`, `/v1/completions`
 * (legacy text completions, streamed as `text_completion` chunks), `/v1/moderations`,
 * `/v1/images/generations` (`url` or `b64_json`), `/v1/images/edits` and `/variations` (multipart), `/v1/rerank` (the vLLM/Jina shape) and Azure's
 * `/openai/deployments/<deployment>/…?api-version=…` paths.
 *
 * Streams are rendered as OpenAI sends them: a role chunk, content in several deltas, each tool call
 * as a delta with index/id/name followed by argument pieces, a finish chunk, a usage chunk with
 * empty `choices` when `stream_options.include_usage` is set, then `data: [DONE]`. Without
 * `include_usage` the usage rides on the finish chunk, as Mistral and Together do (the gateway
 * always asks OpenAI for usage, so OpenAI's own "no usage" case never arises).
 */
export function startOpenAIFake(): Promise<FakeUpstream> {
  return startFake(openaiDialect);
}

type Json = Record<string, unknown>;

const FINISH: Record<NonNullable<FakeReply['finish']>, string> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
};

let completions = 0;

export const openaiDialect: FakeDialect = {
  summarize(path, body) {
    if (typeof body !== 'object' || body === null) return undefined;
    const wire = body as Json;
    const operation = operationOf(path);
    if (operation === 'embeddings') {
      return { model: asString(wire.model), stream: false, system: undefined, messages: [], tools: [], maxOutputTokens: undefined, temperature: undefined };
    }
    if (operation === 'completions') {
      return { model: asString(wire.model), stream: wire.stream === true, system: undefined, messages: [{ role: 'user', text: asString(wire.prompt) ?? '', images: [], toolCalls: [] }], tools: [], maxOutputTokens: typeof wire.max_tokens === 'number' ? wire.max_tokens : undefined, temperature: typeof wire.temperature === 'number' ? wire.temperature : undefined };
    }
    if (operation !== 'chat') return undefined;
    return summarizeChat(wire);
  },

  async handle(context) {
    if (isImageUploadPath(context.path) && context.request.method === 'POST' && context.reply.error === undefined) {
      await handleImageUpload(context);
      return;
    }
    if (isAudioPath(context.path) && context.request.method === 'POST' && context.reply.error === undefined) {
      await handleAudio(context);
      return;
    }
    const operation = operationOf(context.path);
    if (context.request.method !== 'POST' || operation === undefined) {
      sendJson(context, 404, { error: { message: `Unknown request URL: ${context.request.method} ${context.path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
      return;
    }
    const reply = context.reply;
    if (reply.error !== undefined) {
      const headers: Record<string, string> = {};
      if (reply.error.retryAfterSeconds !== undefined) headers['retry-after'] = String(reply.error.retryAfterSeconds);
      sendJson(context, reply.error.status, { error: { message: reply.error.message, type: reply.error.type ?? errorType(reply.error.status), param: null, code: null } }, headers);
      return;
    }
    const body = (typeof context.body === 'object' && context.body !== null ? context.body : {}) as Json;
    if (operation === 'embeddings') {
      sendJson(context, 200, embeddingsBody(body));
      return;
    }
    if (operation === 'moderations') {
      sendJson(context, 200, moderationBody(body));
      return;
    }
    if (operation === 'images') {
      sendJson(context, 200, imagesBody(body));
      return;
    }
    if (operation === 'rerank') {
      sendJson(context, 200, rerankBody(body));
      return;
    }
    if (operation === 'completions') {
      const identity = { id: `cmpl-fake${++completions}`, created: 1_700_000_000 + completions, model: asString(body.model) ?? deploymentOf(context.path) ?? 'unknown' };
      if (body.stream === true) {
        await writeEvents(context, textCompletionFrames(reply, identity, (body.stream_options as Json | undefined)?.include_usage === true));
        return;
      }
      sendJson(context, 200, textCompletionBody(reply, identity));
      return;
    }
    if (operation === 'input_tokens') {
      sendJson(context, 200, { object: 'response.input_tokens', input_tokens: fakeTokenCount(body) });
      return;
    }
    const id = `chatcmpl-fake${++completions}`;
    const created = 1_700_000_000 + completions;
    const model = asString(body.model) ?? deploymentOf(context.path) ?? 'unknown';
    if (body.stream === true) {
      const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true;
      await writeEvents(context, streamFrames(reply, { id, created, model }, includeUsage));
      return;
    }
    sendJson(context, 200, completionBody(reply, { id, created, model }));
  },
};

function operationOf(path: string): 'chat' | 'embeddings' | 'input_tokens' | 'completions' | 'moderations' | 'images' | 'rerank' | undefined {
  const bare = path.split('?')[0]!;
  if (bare.endsWith('/responses/input_tokens')) return 'input_tokens';
  if (bare.endsWith('/chat/completions')) return 'chat';
  if (bare.endsWith('/completions')) return 'completions';
  if (bare.endsWith('/moderations')) return 'moderations';
  if (bare.endsWith('/images/generations')) return 'images';
  if (bare.endsWith('/rerank')) return 'rerank';
  if (bare.endsWith('/embeddings')) return 'embeddings';
  // Errors of the audio endpoints take the same envelope (handleAudio answers the rest).
  if (isAudioPath(bare)) return 'embeddings';
  return undefined;
}

function deploymentOf(path: string): string | undefined {
  return /\/openai\/deployments\/([^/]+)\//.exec(path)?.[1];
}

function summarizeChat(wire: Json): RequestSummary {
  const systemParts: string[] = [];
  const messages: RequestSummary['messages'] = [];
  for (const item of Array.isArray(wire.messages) ? wire.messages : []) {
    const message = item as Json;
    const role = message.role;
    if (role === 'system' || role === 'developer') {
      systemParts.push(textOf(message.content));
      continue;
    }
    if (role !== 'user' && role !== 'assistant' && role !== 'tool') continue;
    const entry: RequestSummary['messages'][number] = { role, text: textOf(message.content), images: imagesOf(message.content), toolCalls: [] };
    if (Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls as Json[]) {
        const fn = (call.function ?? {}) as Json;
        entry.toolCalls.push({ id: String(call.id), name: String(fn.name), arguments: parseArguments(fn.arguments) });
      }
    }
    if (role === 'tool') entry.toolCallId = asString(message.tool_call_id);
    messages.push(entry);
  }
  const tools = Array.isArray(wire.tools) ? (wire.tools as Json[]).map((tool) => String((tool.function as Json | undefined)?.name)) : [];
  const maxOutputTokens = typeof wire.max_completion_tokens === 'number' ? wire.max_completion_tokens : typeof wire.max_tokens === 'number' ? wire.max_tokens : undefined;
  return {
    model: asString(wire.model),
    stream: wire.stream === true,
    system: systemParts.length > 0 ? systemParts.join('\n') : undefined,
    messages,
    tools,
    maxOutputTokens,
    temperature: typeof wire.temperature === 'number' ? wire.temperature : undefined,
  };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => ((part as Json).type === 'text' ? String((part as Json).text) : '')).join('');
}

function imagesOf(content: unknown): RequestSummary['messages'][number]['images'] {
  if (!Array.isArray(content)) return [];
  const images: RequestSummary['messages'][number]['images'] = [];
  for (const part of content as Json[]) {
    if (part.type !== 'image_url') continue;
    const url = String((part.image_url as Json | undefined)?.url ?? '');
    const data = /^data:([^;]+);base64,(.*)$/s.exec(url);
    images.push(data === null ? { url } : { data: data[2]!, mediaType: data[1]! });
  }
  return images;
}

function parseArguments(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

interface Identity {
  id: string;
  created: number;
  model: string;
}

function finishOf(reply: FakeReply): string {
  if (reply.finish !== undefined) return FINISH[reply.finish];
  return reply.toolCalls !== undefined && reply.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

function usageOf(reply: FakeReply): Json | undefined {
  const usage = reply.usage;
  if (usage === undefined) return undefined;
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cachedInput ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoning ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function completionBody(reply: FakeReply, identity: Identity): Json {
  const message: Json = { role: 'assistant', content: reply.text ?? null, refusal: null, annotations: [] };
  // OpenAI itself returns no reasoning text; DeepSeek-style servers put it here.
  if (reply.reasoning !== undefined) message.reasoning_content = reply.reasoning;
  if (reply.toolCalls !== undefined && reply.toolCalls.length > 0) {
    message.tool_calls = reply.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  }
  const usage = usageOf(reply);
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishOf(reply) }],
    ...(usage === undefined ? {} : { usage }),
    service_tier: 'default',
    system_fingerprint: 'fp_fake0001',
  };
}

function streamFrames(reply: FakeReply, identity: Identity, includeUsage: boolean): string[] {
  const frames: string[] = [];
  const chunk = (choices: Json[], extra: Json = {}) => {
    const body: Json = { id: identity.id, object: 'chat.completion.chunk', created: identity.created, model: identity.model, service_tier: 'default', system_fingerprint: 'fp_fake0001', choices, ...extra };
    if (includeUsage && !('usage' in body)) body.usage = null;
    frames.push(`data: ${JSON.stringify(body)}\n\n`);
  };
  const delta = (value: Json, finish: string | null = null) => chunk([{ index: 0, delta: value, logprobs: null, finish_reason: finish }]);

  delta({ role: 'assistant', content: '', refusal: null });
  for (const piece of pieces(reply.reasoning ?? '')) delta({ reasoning_content: piece });
  for (const piece of pieces(reply.text ?? '')) delta({ content: piece });
  (reply.toolCalls ?? []).forEach((call, index) => {
    delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const piece of pieces(call.arguments)) delta({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  const usage = usageOf(reply);
  if (includeUsage) {
    delta({}, finishOf(reply));
    chunk([], { usage: usage ?? null });
  } else {
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishOf(reply) }], usage === undefined ? {} : { usage });
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

/** Splits text into about three pieces, the way tokens trickle in. */
function pieces(text: string): string[] {
  if (text.length === 0) return [];
  const size = Math.max(1, Math.ceil(text.length / 3));
  const result: string[] = [];
  for (let start = 0; start < text.length; start += size) result.push(text.slice(start, start + size));
  return result;
}

function embeddingsBody(body: Json): Json {
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))) : [];
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 8;
  const base64 = body.encoding_format === 'base64';
  const promptTokens = texts.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 4)), 0);
  return {
    object: 'list',
    data: texts.map((text, index) => {
      const vector = fakeVector(text, dimensions);
      return { object: 'embedding', index, embedding: base64 ? float32Base64(vector) : vector };
    }),
    model: asString(body.model) ?? 'unknown',
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

/** Deterministic vector for a text: bytes of its SHA-256, scaled to [-1, 1] (values exact in float32). */
export function fakeVector(text: string, dimensions: number): number[] {
  const digest = createHash('sha256').update(text).digest();
  return Array.from({ length: dimensions }, (_, index) => (digest[index % digest.length]! - 128) / 128);
}

function float32Base64(vector: number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => buffer.writeFloatLE(value, index * 4));
  return buffer.toString('base64');
}

function errorType(status: number): string {
  if (status === 401) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function sendJson(context: FakeHandlerContext, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  context.response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-request-id': `req_fake${completions}`, ...headers });
  context.response.end(text);
}

/** A `text_completion` object (https://platform.openai.com/docs/api-reference/completions/object). */
function textCompletionBody(reply: FakeReply, identity: Identity): Json {
  const usage = usageOf(reply);
  return {
    id: identity.id,
    object: 'text_completion',
    created: identity.created,
    model: identity.model,
    system_fingerprint: 'fp_fake0001',
    choices: [{ text: reply.text ?? '', index: 0, logprobs: null, finish_reason: finishOf(reply) }],
    ...(usage === undefined ? {} : { usage: { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens, total_tokens: usage.total_tokens } }),
  };
}

/** Streamed text completion: text chunks, a finish chunk, a usage chunk with empty choices when asked, `[DONE]`. */
function textCompletionFrames(reply: FakeReply, identity: Identity, includeUsage: boolean): string[] {
  const frames: string[] = [];
  const chunk = (choices: Json[], extra: Json = {}) => frames.push(`data: ${JSON.stringify({ id: identity.id, object: 'text_completion', created: identity.created, model: identity.model, choices, ...extra })}\n\n`);
  for (const piece of pieces(reply.text ?? '')) chunk([{ text: piece, index: 0, logprobs: null, finish_reason: null }]);
  chunk([{ text: '', index: 0, logprobs: null, finish_reason: finishOf(reply) }]);
  const usage = usageOf(reply);
  if (includeUsage && usage !== undefined) chunk([], { usage: { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens, total_tokens: usage.total_tokens } });
  frames.push('data: [DONE]\n\n');
  return frames;
}

const MODERATION_CATEGORIES = ['harassment', 'harassment/threatening', 'hate', 'hate/threatening', 'illicit', 'illicit/violent', 'self-harm', 'self-harm/intent', 'self-harm/instructions', 'sexual', 'sexual/minors', 'violence', 'violence/graphic'];

/** A moderation object: a text containing "hurt" is flagged for violence, anything else is not. */
function moderationBody(body: Json): Json {
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((item) => typeof item === 'string') ? (input as string[]) : [JSON.stringify(input)];
  return {
    id: `modr-fake${++completions}`,
    model: asString(body.model) ?? 'omni-moderation-latest',
    results: texts.map((text) => {
      const violent = /hurt/i.test(text);
      const categories: Record<string, boolean> = {};
      const scores: Record<string, number> = {};
      const applied: Record<string, string[]> = {};
      for (const name of MODERATION_CATEGORIES) {
        categories[name] = violent && name === 'violence';
        scores[name] = categories[name] ? 0.92 : 0.0001;
        applied[name] = ['text'];
      }
      return { flagged: violent, categories, category_scores: scores, category_applied_input_types: applied };
    }),
  };
}

/** A one-pixel PNG, the image every generation returns. */
export const FAKE_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** An images response: `n` images as `b64_json` or as URLs (DALL·E's default), with the revised prompt DALL·E 3 adds. */
function imagesBody(body: Json): Json {
  const n = typeof body.n === 'number' ? body.n : 1;
  const b64 = body.response_format === 'b64_json';
  const prompt = asString(body.prompt) ?? '';
  return {
    created: 1_700_000_000 + ++completions,
    data: Array.from({ length: n }, (_, index) => (b64 ? { b64_json: FAKE_PNG_BASE64, revised_prompt: `${prompt} (revised)` } : { url: `https://images.example/fake-${completions}-${index}.png`, revised_prompt: `${prompt} (revised)` })),
  };
}

/** A rerank answer in vLLM's and Jina's shape: documents scored by shared words with the query, best first, `usage.total_tokens`. */
function rerankBody(body: Json): Json {
  const query = (asString(body.query) ?? '').toLowerCase().split(/\W+/).filter((word) => word.length > 0);
  const documents = Array.isArray(body.documents) ? body.documents.map((document) => (typeof document === 'string' ? document : String((document as Json).text))) : [];
  const scored = documents.map((text, index) => {
    const words = new Set(text.toLowerCase().split(/\W+/));
    const shared = query.filter((word) => words.has(word)).length;
    return { index, document: { text }, relevance_score: query.length === 0 ? 0 : shared / query.length };
  });
  scored.sort((left, right) => right.relevance_score - left.relevance_score || left.index - right.index);
  const topN = typeof body.top_n === 'number' ? body.top_n : scored.length;
  const tokens = [asString(body.query) ?? '', ...documents].reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 4)), 0);
  return { id: `rerank-fake${++completions}`, model: asString(body.model) ?? 'unknown', usage: { total_tokens: tokens }, results: scored.slice(0, topN) };
}
