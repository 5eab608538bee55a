import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted upstream reply in provider-neutral terms. Each provider fake renders it in its own
 * documented wire format (JSON body, or the provider's stream events when the request streams).
 */
export interface FakeReply {
  text?: string;
  reasoning?: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
  finish?: 'stop' | 'length' | 'tool-calls' | 'content-filter';
  usage?: { input: number; output: number; cachedInput?: number; cacheWrite?: number; cacheWrite1h?: number; reasoning?: number };
  /** Answer with an HTTP error in the provider's error envelope instead. */
  error?: { status: number; message: string; type?: string; retryAfterSeconds?: number };
  /** Milliseconds to wait before answering (timeouts, cancellation). */
  delayMs?: number;
  /** Streaming only: stop the stream after this many events without a proper end. */
  breakAfterEvents?: number;
  /** Streaming only: milliseconds between events. */
  eventIntervalMs?: number;
  /** Audio fakes: the last chunk of a streamed answer waits for this (or 5 s) before it is sent. */
  holdLastChunk?: Promise<void>;
  /** Audio fakes: where to note `sent-first` and `sent-last` as the chunks go out. */
  events?: string[];
}

/**
 * What a fake saw, summarised independently of our codecs so tests can check what we sent.
 * Roles are the canonical ones: system, user, assistant, tool.
 */
export interface RequestSummary {
  model: string | undefined;
  stream: boolean;
  system: string | undefined;
  messages: {
    role: 'user' | 'assistant' | 'tool';
    text: string;
    images: { url?: string; data?: string; mediaType?: string }[];
    toolCalls: { id: string; name: string; arguments: unknown }[];
    /** For role `tool`: which call it answers (id, or the function name for Gemini). */
    toolCallId?: string;
  }[];
  tools: string[];
  maxOutputTokens: number | undefined;
  temperature: number | undefined;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  summary: RequestSummary | undefined;
}

export interface FakeUpstream {
  /** Base URL to configure as the provider's `base_url`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Queue replies; when the queue is empty the fake answers with `defaultReply`. */
  enqueue(...replies: FakeReply[]): void;
  /** Count of requests that were aborted by the client before the fake finished answering. */
  readonly aborted: number;
  close(): Promise<void>;
}

/**
 * What the fakes' token counters answer for a counting request: the length of its JSON body. Any
 * deterministic figure does; tests recompute it from the body the fake recorded.
 */
export function fakeTokenCount(body: unknown): number {
  return JSON.stringify(body).length;
}

export const defaultReply: FakeReply = {
  text: 'Hello from the fake upstream.',
  finish: 'stop',
  usage: { input: 12, output: 7 },
};

export interface FakeHandlerContext {
  request: IncomingMessage;
  response: ServerResponse;
  path: string;
  body: unknown;
  /** The request body's bytes as they came. */
  raw: Buffer;
  reply: FakeReply;
  /** True when the client went away. */
  closed(): boolean;
}

/** One provider's rendering of requests and replies. */
export interface FakeDialect {
  /** Summarise a received request body (independently of our codecs). */
  summarize(path: string, body: unknown): RequestSummary | undefined;
  handle(context: FakeHandlerContext): Promise<void>;
  /** False for requests that take no scripted reply (a token endpoint beside the API); default true. */
  takesReply?(path: string): boolean;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes SSE events one by one honouring `eventIntervalMs` and `breakAfterEvents`. */
export async function writeEvents(context: FakeHandlerContext, frames: string[]): Promise<void> {
  const { response, reply } = context;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let index = 0;
  for (const frame of frames) {
    if (context.closed()) return;
    if (reply.breakAfterEvents !== undefined && index >= reply.breakAfterEvents) {
      response.socket?.destroy();
      return;
    }
    response.write(frame);
    index++;
    if (reply.eventIntervalMs) await sleep(reply.eventIntervalMs);
  }
  response.end();
}

/** Starts a fake upstream on a random loopback port. */
export async function startFake(dialect: FakeDialect): Promise<FakeUpstream> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  let aborted = 0;
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = /^multipart\//i.test(request.headers['content-type'] ?? '') ? '' : bytes.toString('utf8');
    let body: unknown = undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const path = request.url ?? '/';
    requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body, summary: dialect.summarize(path, body) });
    const reply = dialect.takesReply?.(path) === false ? defaultReply : (queue.shift() ?? defaultReply);
    let closed = false;
    response.on('close', () => {
      if (!response.writableFinished) {
        closed = true;
        aborted++;
      }
    });
    // A caller that leaves ends the wait: nothing is answered, and no timer outlives the test.
    if (reply.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, reply.delayMs);
        response.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (closed) return;
    try {
      await dialect.handle({ request, response, path, body, raw: bytes, reply, closed: () => closed });
    } catch (error) {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: String(error) } }));
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    get aborted() {
      return aborted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
