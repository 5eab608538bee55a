import type { ServerResponse } from 'node:http';
import { startFake, writeEvents, type FakeDialect, type FakeHandlerContext, type FakeReply, type FakeUpstream, type RequestSummary } from './fake-upstream.js';

/**
 * A loopback stand-in for api.cohere.com's v2 API, answering in Cohere's documented wire format
 * (https://docs.cohere.com/reference/chat, .../chat-stream, .../embed, .../rerank):
 * `POST /v2/chat` (a JSON response, or SSE events `message-start`, `content-start`/`-delta`/`-end`,
 * `tool-plan-delta`, `tool-call-start`/`-delta`/`-end`, `message-end` with usage `billed_units`,
 * `tokens` and `cached_tokens`), `POST /v2/embed` (`embeddings.float`) and `POST /v2/rerank`.
 * Errors are `{"id", "message"}` with the status. Written from the docs, not from our codec.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * v2's finish reasons; a content filter has none of its own in v2, so the fake answers with
 * `ERROR_TOXIC`, the reason Cohere's v1 API (and platforms serving Cohere models) give for it.
 */
const FINISH_REASONS: Record<NonNullable<FakeReply['finish']>, string> = {
  stop: 'COMPLETE',
  length: 'MAX_TOKENS',
  'tool-calls': 'TOOL_CALL',
  'content-filter': 'ERROR_TOXIC',
};

let counter = 0;

function nextId(): string {
  return `c0a1e5e0-0000-4000-8000-${String(++counter).padStart(12, '0')}`;
}

function sendError(response: ServerResponse, status: number, message: string, retryAfterSeconds?: number): void {
  response.writeHead(status, { 'content-type': 'application/json', ...(retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) }) });
  response.end(JSON.stringify({ id: nextId(), message }));
}

/** `tokens` is what the model read (cached part included); `billed_units` leaves the cached part out. */
function usageOf(reply: FakeReply): Json {
  const usage = reply.usage ?? { input: 0, output: 0 };
  const cached = usage.cachedInput ?? 0;
  return {
    billed_units: { input_tokens: usage.input - cached, output_tokens: usage.output },
    tokens: { input_tokens: usage.input, output_tokens: usage.output },
    ...(cached > 0 ? { cached_tokens: cached } : {}),
  };
}

function finishOf(reply: FakeReply): string {
  return FINISH_REASONS[reply.finish ?? (reply.toolCalls?.length ? 'tool-calls' : 'stop')];
}

function toolCallsOf(reply: FakeReply): Json[] {
  return (reply.toolCalls ?? []).map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

function renderComplete(reply: FakeReply): Json {
  const message: Json = { role: 'assistant' };
  const calls = toolCallsOf(reply);
  if (calls.length > 0) {
    if (reply.text) message.tool_plan = reply.text;
    message.tool_calls = calls;
  } else {
    const content: Json[] = [];
    if (reply.reasoning) content.push({ type: 'thinking', thinking: reply.reasoning });
    content.push({ type: 'text', text: reply.text ?? '' });
    message.content = content;
  }
  return { id: nextId(), message, finish_reason: finishOf(reply), usage: usageOf(reply) };
}

function event(data: Json): string {
  return `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
}

function pieces(text: string, size = 8): string[] {
  const result: string[] = [];
  for (let start = 0; start < text.length; start += size) result.push(text.slice(start, start + size));
  return result;
}

function renderStream(reply: FakeReply): string[] {
  const frames = [event({ id: nextId(), type: 'message-start', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } })];
  const calls = reply.toolCalls ?? [];
  if (calls.length > 0) {
    for (const piece of pieces(reply.text ?? '')) frames.push(event({ type: 'tool-plan-delta', delta: { message: { tool_plan: piece } } }));
    calls.forEach((call, index) => {
      frames.push(event({ type: 'tool-call-start', index, delta: { message: { tool_calls: { id: call.id, type: 'function', function: { name: call.name, arguments: '' } } } } }));
      for (const piece of pieces(call.arguments, 5)) frames.push(event({ type: 'tool-call-delta', index, delta: { message: { tool_calls: { function: { arguments: piece } } } } }));
      frames.push(event({ type: 'tool-call-end', index }));
    });
  } else {
    let index = 0;
    if (reply.reasoning) {
      frames.push(event({ type: 'content-start', index, delta: { message: { content: { type: 'thinking', thinking: '' } } } }));
      for (const piece of pieces(reply.reasoning)) frames.push(event({ type: 'content-delta', index, delta: { message: { content: { thinking: piece } } } }));
      frames.push(event({ type: 'content-end', index }));
      index++;
    }
    frames.push(event({ type: 'content-start', index, delta: { message: { content: { type: 'text', text: '' } } } }));
    for (const piece of pieces(reply.text ?? '')) frames.push(event({ type: 'content-delta', index, delta: { message: { content: { text: piece } } } }));
    frames.push(event({ type: 'content-end', index }));
  }
  frames.push(event({ type: 'message-end', delta: { finish_reason: finishOf(reply), usage: usageOf(reply) } }));
  return frames;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((block) => (isObject(block) && block.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('');
}

function summarize(path: string, body: unknown): RequestSummary | undefined {
  if (path !== '/v2/chat' || !isObject(body)) return undefined;
  let system: string | undefined;
  const messages: RequestSummary['messages'] = [];
  for (const message of Array.isArray(body.messages) ? body.messages.filter(isObject) : []) {
    if (message.role === 'system') {
      system = (system === undefined ? '' : `${system}\n`) + textOf(message.content);
    } else if (message.role === 'tool') {
      messages.push({ role: 'tool', text: textOf(message.content), images: [], toolCalls: [], toolCallId: String(message.tool_call_id) });
    } else if (message.role === 'assistant') {
      const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isObject) : [];
      messages.push({
        role: 'assistant',
        text: textOf(message.content) || (typeof message.tool_plan === 'string' ? message.tool_plan : ''),
        images: [],
        toolCalls: calls.map((call) => {
          const fn = isObject(call.function) ? call.function : {};
          return { id: String(call.id), name: String(fn.name), arguments: JSON.parse(typeof fn.arguments === 'string' && fn.arguments !== '' ? fn.arguments : '{}') as unknown };
        }),
      });
    } else {
      const blocks = Array.isArray(message.content) ? message.content.filter(isObject) : [];
      const images = blocks.filter((block) => block.type === 'image_url' && isObject(block.image_url)).map((block) => ({ url: String((block.image_url as Json).url) }));
      messages.push({ role: 'user', text: textOf(message.content), images, toolCalls: [] });
    }
  }
  return {
    model: typeof body.model === 'string' ? body.model : undefined,
    stream: body.stream === true,
    system,
    messages,
    tools: Array.isArray(body.tools) ? body.tools.filter(isObject).map((tool) => String(isObject(tool.function) ? tool.function.name : '')) : [],
    maxOutputTokens: typeof body.max_tokens === 'number' ? body.max_tokens : undefined,
    temperature: typeof body.temperature === 'number' ? body.temperature : undefined,
  };
}

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/\W+/).filter(Boolean));
}

async function handle(context: FakeHandlerContext): Promise<void> {
  const { response, reply, path } = context;
  if (context.request.method !== 'POST' || !['/v2/chat', '/v2/embed', '/v2/rerank'].includes(path)) return sendError(response, 404, `no route for ${path}`);
  const authorization = context.request.headers.authorization;
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ') || authorization.length <= 7) return sendError(response, 401, 'no api key supplied');
  if (reply.error) return sendError(response, reply.error.status, reply.error.message, reply.error.retryAfterSeconds);
  const body = isObject(context.body) ? context.body : {};
  if (typeof body.model !== 'string') return sendError(response, 400, 'invalid request: model must be a string');
  if (path === '/v2/chat') {
    if (!Array.isArray(body.messages)) return sendError(response, 400, 'invalid request: messages must be an array');
    if (body.stream === true) return writeEvents(context, renderStream(reply));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(renderComplete(reply)));
    return;
  }
  if (path === '/v2/embed') {
    const texts = Array.isArray(body.texts) ? body.texts.map(String) : [];
    if (typeof body.input_type !== 'string') return sendError(response, 400, 'invalid request: input_type is required for embed models v3 and higher.');
    if (!Array.isArray(body.embedding_types) || !body.embedding_types.includes('float')) return sendError(response, 400, 'invalid request: this fake serves float embeddings');
    const dimensions = typeof body.output_dimension === 'number' ? body.output_dimension : 4;
    const vectors = texts.map((text) => Array.from({ length: dimensions }, (_, index) => (text.length * (index + 1)) / 1000));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: nextId(), embeddings: { float: vectors }, texts, meta: { api_version: { version: '2' }, billed_units: { input_tokens: texts.join(' ').split(/\s+/).filter(Boolean).length } }, response_type: 'embeddings_by_type' }));
    return;
  }
  if (typeof body.query !== 'string' || !Array.isArray(body.documents)) return sendError(response, 400, 'invalid request: query and documents are required');
  const query = words(body.query);
  const scored = body.documents.map((document, index) => {
    const overlap = [...words(String(document))].filter((word) => query.has(word)).length;
    return { index, relevance_score: Math.round((overlap / Math.max(1, query.size)) * 1e6) / 1e6 };
  });
  scored.sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
  const topN = typeof body.top_n === 'number' ? body.top_n : scored.length;
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ id: nextId(), results: scored.slice(0, topN), meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } } }));
}

const cohereDialect: FakeDialect = { summarize, handle };

/** Starts the Cohere fake; configure the provider's `base_url` as `fake.url`. */
export function startCohereFake(): Promise<FakeUpstream> {
  return startFake(cohereDialect);
}
