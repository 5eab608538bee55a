import type { ServerResponse } from 'node:http';
import { fakeTokenCount, startFake, writeEvents, type FakeDialect, type FakeHandlerContext, type FakeReply, type FakeUpstream, type RequestSummary } from './fake-upstream.js';

/**
 * A loopback stand-in for api.anthropic.com: `POST /v1/messages`, answering in Anthropic's documented
 * wire format (https://docs.anthropic.com/en/api/messages, .../build-with-claude/streaming). It is
 * written from the docs, not from our codec, so tests catch the codec drifting from the real API.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const STOP_REASONS: Record<NonNullable<FakeReply['finish']>, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  'tool-calls': 'tool_use',
  'content-filter': 'refusal',
};

let messageCounter = 0;

function sendError(response: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fake', ...headers });
  response.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_fake' }));
}

/** Anthropic's usage: `input_tokens` counts only the uncached part of the prompt. */
function usageOf(reply: FakeReply): { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number; cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } } {
  const usage = reply.usage ?? { input: 0, output: 0 };
  const cacheRead = usage.cachedInput ?? 0;
  const cacheWrite = usage.cacheWrite ?? 0;
  const wire = { input_tokens: usage.input - cacheRead - cacheWrite, output_tokens: usage.output, cache_read_input_tokens: cacheRead, cache_creation_input_tokens: cacheWrite };
  // Anthropic splits cache writes by lifetime in `cache_creation` (the total stays in cache_creation_input_tokens).
  if (usage.cacheWrite1h === undefined) return wire;
  return { ...wire, cache_creation: { ephemeral_5m_input_tokens: cacheWrite - usage.cacheWrite1h, ephemeral_1h_input_tokens: usage.cacheWrite1h } };
}

function stopReasonOf(reply: FakeReply): string {
  return STOP_REASONS[reply.finish ?? (reply.toolCalls?.length ? 'tool-calls' : 'stop')];
}

function signatureOf(reasoning: string): string {
  return `fake-signature-${Buffer.from(reasoning).toString('base64').slice(0, 16)}`;
}

function contentOf(reply: FakeReply): Json[] {
  const content: Json[] = [];
  if (reply.reasoning) content.push({ type: 'thinking', thinking: reply.reasoning, signature: signatureOf(reply.reasoning) });
  if (reply.text) content.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls ?? []) content.push({ type: 'tool_use', id: call.id, name: call.name, input: JSON.parse(call.arguments || '{}') });
  return content;
}

/** Splits text into word-sized pieces, the way Anthropic's deltas arrive. */
function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Splits JSON text into short fragments, as `input_json_delta`s arrive. */
function fragments(text: string, size = 6): string[] {
  const result: string[] = [];
  for (let start = 0; start < text.length; start += size) result.push(text.slice(start, start + size));
  return result;
}

function event(name: string, data: Json): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function streamFrames(reply: FakeReply, model: string, id: string): string[] {
  const usage = usageOf(reply);
  const frames = [
    event('message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    }),
  ];
  let index = 0;
  const block = (start: Json, deltas: Json[]) => {
    frames.push(event('content_block_start', { type: 'content_block_start', index, content_block: start }));
    if (index === 0) frames.push(event('ping', { type: 'ping' }));
    for (const delta of deltas) frames.push(event('content_block_delta', { type: 'content_block_delta', index, delta }));
    frames.push(event('content_block_stop', { type: 'content_block_stop', index }));
    index++;
  };
  if (reply.reasoning) {
    const deltas: Json[] = pieces(reply.reasoning).map((thinking) => ({ type: 'thinking_delta', thinking }));
    deltas.push({ type: 'signature_delta', signature: signatureOf(reply.reasoning) });
    block({ type: 'thinking', thinking: '', signature: '' }, deltas);
  }
  if (reply.text) block({ type: 'text', text: '' }, pieces(reply.text).map((text) => ({ type: 'text_delta', text })));
  for (const call of reply.toolCalls ?? []) {
    const deltas = [{ type: 'input_json_delta', partial_json: '' }, ...fragments(call.arguments).map((partial_json) => ({ type: 'input_json_delta', partial_json }))];
    block({ type: 'tool_use', id: call.id, name: call.name, input: {} }, deltas);
  }
  frames.push(event('message_delta', { type: 'message_delta', delta: { stop_reason: stopReasonOf(reply), stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }));
  frames.push(event('message_stop', { type: 'message_stop' }));
  return frames;
}

function headerOf(context: FakeHandlerContext, name: string): string | undefined {
  const value = context.request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function handle(context: FakeHandlerContext): Promise<void> {
  const { response } = context;
  const path = context.path.split('?')[0];
  if (context.request.method === 'POST' && path === '/v1/messages/count_tokens') return countTokens(context);
  if (context.request.method !== 'POST' || path !== '/v1/messages') return sendError(response, 404, 'not_found_error', `No route for ${context.request.method} ${path}.`);
  if (!headerOf(context, 'x-api-key')) return sendError(response, 401, 'authentication_error', 'x-api-key header is required');
  if (!headerOf(context, 'anthropic-version')) return sendError(response, 401, 'authentication_error', 'anthropic-version header is required');
  const body = isObject(context.body) ? context.body : {};
  return answerMessages(context, typeof body.model === 'string' ? body.model : 'claude-unknown', body.stream === true);
}

/** Answers a Messages request for `model` with the scripted reply, as JSON or as the event stream (also Claude on Vertex AI). */
export function answerMessages(context: FakeHandlerContext, model: string, stream: boolean): Promise<void> | void {
  const { response, reply } = context;
  if (reply.error) {
    const { status, message, type, retryAfterSeconds } = reply.error;
    const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
    return sendError(response, status, type ?? ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message, headers);
  }
  const id = `msg_fake${String(++messageCounter).padStart(6, '0')}`;
  if (stream) return writeEvents(context, streamFrames(reply, model, id));
  response.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_fake' });
  response.end(JSON.stringify({ id, type: 'message', role: 'assistant', model, content: contentOf(reply), stop_reason: stopReasonOf(reply), stop_sequence: null, usage: usageOf(reply) }));
}

/** `POST /v1/messages/count_tokens`: refuses the fields a Messages request has and a counting one does not, as Anthropic does. */
function countTokens(context: FakeHandlerContext): void {
  if (!headerOf(context, 'x-api-key')) return sendError(context.response, 401, 'authentication_error', 'x-api-key header is required');
  const body = isObject(context.body) ? context.body : {};
  for (const field of ['max_tokens', 'stream', 'temperature', 'metadata']) {
    if (field in body) return sendError(context.response, 400, 'invalid_request_error', `${field}: Extra inputs are not permitted`);
  }
  if (context.reply.error) return sendError(context.response, context.reply.error.status, 'api_error', context.reply.error.message);
  context.response.writeHead(200, { 'content-type': 'application/json' });
  context.response.end(JSON.stringify({ input_tokens: fakeTokenCount(body) }));
}

/** Anthropic's error envelope. */
export function sendAnthropicError(response: ServerResponse, status: number, message: string): void {
  sendError(response, status, ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message);
}

function textOfBlocks(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((block) => (isObject(block) && block.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('');
}

/** Reads a Messages request the way Anthropic documents it: tool results live in user turns. */
function summarize(path: string, body: unknown): RequestSummary | undefined {
  if (path.split('?')[0] !== '/v1/messages') return undefined;
  return summarizeMessages(body);
}

/** Reads a Messages body (model and stream may be absent: Vertex AI has them in the URL). */
export function summarizeMessages(body: unknown): RequestSummary | undefined {
  if (!isObject(body)) return undefined;
  const messages: RequestSummary['messages'] = [];
  for (const message of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObject(message)) continue;
    const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : Array.isArray(message.content) ? message.content.filter(isObject) : [];
    if (message.role === 'assistant') {
      messages.push({
        role: 'assistant',
        text: textOfBlocks(blocks),
        images: [],
        toolCalls: blocks.filter((block) => block.type === 'tool_use').map((block) => ({ id: String(block.id), name: String(block.name), arguments: block.input })),
      });
      continue;
    }
    for (const block of blocks) {
      if (block.type === 'tool_result') messages.push({ role: 'tool', text: textOfBlocks(block.content), images: [], toolCalls: [], toolCallId: String(block.tool_use_id) });
    }
    const rest = blocks.filter((block) => block.type !== 'tool_result');
    if (rest.length === 0) continue;
    const images = rest
      .filter((block) => block.type === 'image' && isObject(block.source))
      .map((block) => {
        const source = block.source as Json;
        return source.type === 'url' ? { url: String(source.url) } : { data: String(source.data), mediaType: String(source.media_type) };
      });
    messages.push({ role: 'user', text: textOfBlocks(rest), images, toolCalls: [] });
  }
  return {
    model: typeof body.model === 'string' ? body.model : undefined,
    stream: body.stream === true,
    system: body.system === undefined ? undefined : textOfBlocks(body.system),
    messages,
    tools: Array.isArray(body.tools) ? body.tools.filter(isObject).map((tool) => String(tool.name)) : [],
    maxOutputTokens: typeof body.max_tokens === 'number' ? body.max_tokens : undefined,
    temperature: typeof body.temperature === 'number' ? body.temperature : undefined,
  };
}

export const anthropicFakeDialect: FakeDialect = { summarize, handle };

export function startAnthropicFake(): Promise<FakeUpstream> {
  return startFake(anthropicFakeDialect);
}
