import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A careless upstream: whatever it answers repeats the credentials it received (every header that
 * carries one, and the URL with its query), as providers, proxies and error pages do. It speaks the
 * wire format of one dialect, written from the providers' documentation, not from our codecs.
 */
export type EchoDialect = 'openai' | 'anthropic' | 'gemini' | 'bedrock' | 'cohere';

/**
 * - `json-error`: a 401 (Bedrock: 403) in the provider's error envelope, the credentials in its message;
 * - `html-error`: a 502 HTML page from a proxy showing them;
 * - `stream-error-first`: a 200 stream whose first event is the provider's error event showing them;
 * - `stream-error-after-content`: a 200 stream with some text, then that error event;
 * - `echo`: a 200 answer (a stream when asked for one) whose text repeats them.
 */
export type EchoMode = 'json-error' | 'html-error' | 'stream-error-first' | 'stream-error-after-content' | 'echo';

export interface EchoUpstream {
  readonly url: string;
  /** The answers to give, in order; `echo` when none is queued. */
  enqueue(...modes: EchoMode[]): void;
  /** What the last request carried, as echoed. */
  readonly lastEcho: string | undefined;
  close(): Promise<void>;
}

export interface EchoOptions {
  /** Extra text every error answer carries (credential-shaped tokens that are nobody's key). */
  errorExtra?: string;
  /** Extra text every answer carries, e.g. a secret the upstream never receives but a proxy log might. */
  alwaysExtra?: string;
  /**
   * Also be an OAuth token endpoint at `POST /token` (Vertex AI's service-account keys point their
   * `token_uri` here), answering every request with this access token; it takes no queued answer.
   */
  accessToken?: string;
}

const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'x-amz-security-token'];
const eventStream = new EventStreamCodec(toUtf8, fromUtf8);

function credentialsOf(request: IncomingMessage): string {
  const seen = CREDENTIAL_HEADERS.filter((name) => request.headers[name] !== undefined).map((name) => `${name}: ${String(request.headers[name])}`);
  return `${seen.join('; ')} at ${request.url ?? '/'}`;
}

function sse(response: ServerResponse, frames: string[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const frame of frames) response.write(frame);
  response.end();
}

function data(payload: unknown, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(payload)}\n\n`;
}

function awsFrame(type: string, payload: unknown, kind: 'event' | 'exception' = 'event'): Uint8Array {
  return eventStream.encode({
    headers: {
      [kind === 'event' ? ':event-type' : ':exception-type']: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: kind },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

function answer(dialect: EchoDialect, mode: EchoMode, stream: boolean, echo: string, response: ServerResponse): void {
  if (mode === 'html-error') {
    response.writeHead(502, { 'content-type': 'text/html' });
    response.end(`<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The upstream refused ${echo}</p></body></html>`);
    return;
  }
  switch (dialect) {
    case 'openai':
      return openai(mode, stream, echo, response);
    case 'anthropic':
      return anthropic(mode, stream, echo, response);
    case 'gemini':
      return gemini(mode, stream, echo, response);
    case 'bedrock':
      return bedrock(mode, stream, echo, response);
    case 'cohere':
      return cohere(mode, stream, echo, response);
  }
}

/** Cohere v2: errors are `{message}`; a stream error is `message-end` with `delta.error`. */
function cohere(mode: EchoMode, stream: boolean, echo: string, response: ServerResponse): void {
  const event = (payload: Record<string, unknown>) => data(payload, String(payload.type));
  const start = event({ id: 'echo', type: 'message-start', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } });
  const text = (value: string) => [event({ type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } }), event({ type: 'content-delta', index: 0, delta: { message: { content: { text: value } } } })];
  const error = event({ type: 'message-end', delta: { finish_reason: 'ERROR', error: `internal error; you sent ${echo}` } });
  const usage = { billed_units: { input_tokens: 3, output_tokens: 4 }, tokens: { input_tokens: 3, output_tokens: 4 } };
  if (mode === 'json-error') {
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: 'echo', message: `invalid api token: ${echo}` }));
  } else if (mode === 'stream-error-first') sse(response, [start, error]);
  else if (mode === 'stream-error-after-content') sse(response, [start, ...text('Hello'), error]);
  else if (stream) sse(response, [start, ...text(`You sent ${echo}`), event({ type: 'content-end', index: 0 }), event({ type: 'message-end', delta: { finish_reason: 'COMPLETE', usage } })]);
  else {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: 'echo', finish_reason: 'COMPLETE', message: { role: 'assistant', content: [{ type: 'text', text: `You sent ${echo}` }] }, usage }));
  }
}

function openai(mode: EchoMode, stream: boolean, echo: string, response: ServerResponse): void {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => data({ id: 'chatcmpl-echo', object: 'chat.completion.chunk', created: 1, model: 'echo', choices: [{ index: 0, delta, finish_reason: finish }] });
  const error = data({ error: { message: `Incorrect API key provided: ${echo}`, type: 'server_error', param: null, code: null } });
  if (mode === 'json-error') {
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${echo}`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }));
  } else if (mode === 'stream-error-first') sse(response, [error]);
  else if (mode === 'stream-error-after-content') sse(response, [chunk({ role: 'assistant', content: 'Hello' }), error]);
  else if (stream) {
    sse(response, [chunk({ role: 'assistant', content: `You sent ${echo}` }), chunk({}, 'stop'), data({ id: 'chatcmpl-echo', object: 'chat.completion.chunk', created: 1, model: 'echo', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }), 'data: [DONE]\n\n']);
  } else {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: 'chatcmpl-echo', object: 'chat.completion', created: 1, model: 'echo', choices: [{ index: 0, message: { role: 'assistant', content: `You sent ${echo}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }));
  }
}

function anthropic(mode: EchoMode, stream: boolean, echo: string, response: ServerResponse): void {
  const start = data({ type: 'message_start', message: { id: 'msg_echo', type: 'message', role: 'assistant', model: 'claude-echo', content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } } }, 'message_start');
  const blockStart = data({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
  const text = (value: string) => data({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: value } }, 'content_block_delta');
  const error = data({ type: 'error', error: { type: 'overloaded_error', message: `Overloaded; you sent ${echo}` } }, 'error');
  if (mode === 'json-error') {
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key: ${echo}` } }));
  } else if (mode === 'stream-error-first') sse(response, [error]);
  else if (mode === 'stream-error-after-content') sse(response, [start, blockStart, text('Hello'), error]);
  else if (stream) {
    sse(response, [
      start,
      blockStart,
      text(`You sent ${echo}`),
      data({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
      data({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } }, 'message_delta'),
      data({ type: 'message_stop' }, 'message_stop'),
    ]);
  } else {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: 'msg_echo', type: 'message', role: 'assistant', model: 'claude-echo', content: [{ type: 'text', text: `You sent ${echo}` }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 4 } }));
  }
}

function gemini(mode: EchoMode, stream: boolean, echo: string, response: ServerResponse): void {
  const content = (text: string, finish?: string) => ({
    candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0, ...(finish === undefined ? {} : { finishReason: finish }) }],
    usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 },
    modelVersion: 'gemini-echo',
  });
  const error = data({ error: { code: 500, message: `Internal error; you sent ${echo}`, status: 'INTERNAL' } });
  if (mode === 'json-error') {
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code: 401, message: `API key not valid: ${echo}`, status: 'UNAUTHENTICATED' } }));
  } else if (mode === 'stream-error-first') sse(response, [error]);
  else if (mode === 'stream-error-after-content') sse(response, [data(content('Hello')), error]);
  else if (stream) sse(response, [data(content(`You sent ${echo}`, 'STOP'))]);
  else {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(content(`You sent ${echo}`, 'STOP')));
  }
}

function bedrock(mode: EchoMode, stream: boolean, echo: string, response: ServerResponse): void {
  const frames = (list: Uint8Array[]) => {
    response.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    for (const frame of list) response.write(frame);
    response.end();
  };
  const exception = awsFrame('modelStreamErrorException', { message: `The model failed; you sent ${echo}` }, 'exception');
  const start = awsFrame('messageStart', { role: 'assistant' });
  const text = (value: string) => awsFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: value } });
  if (mode === 'json-error') {
    response.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/' });
    response.end(JSON.stringify({ message: `The security token included in the request is invalid: ${echo}` }));
  } else if (mode === 'stream-error-first') frames([exception]);
  else if (mode === 'stream-error-after-content') frames([start, text('Hello'), exception]);
  else if (stream) {
    frames([
      start,
      text(`You sent ${echo}`),
      awsFrame('contentBlockStop', { contentBlockIndex: 0 }),
      awsFrame('messageStop', { stopReason: 'end_turn' }),
      awsFrame('metadata', { usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 }, metrics: { latencyMs: 1 } }),
    ]);
  } else {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: `You sent ${echo}` }] } }, stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 }, metrics: { latencyMs: 1 } }));
  }
}

function wantsStream(request: IncomingMessage, body: string): boolean {
  const url = request.url ?? '';
  if (url.includes('streamGenerateContent') || url.endsWith('/converse-stream')) return true;
  try {
    return (JSON.parse(body) as { stream?: unknown }).stream === true;
  } catch {
    return false;
  }
}

export async function startEchoUpstream(dialect: EchoDialect, options: EchoOptions = {}): Promise<EchoUpstream> {
  const queue: EchoMode[] = [];
  let lastEcho: string | undefined;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (options.accessToken !== undefined && request.method === 'POST' && request.url === '/token') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: options.accessToken, expires_in: 3599, token_type: 'Bearer' }));
      return;
    }
    const mode = queue.shift() ?? 'echo';
    const error = mode !== 'echo';
    const echo = `${credentialsOf(request)}${options.alwaysExtra === undefined ? '' : ` ${options.alwaysExtra}`}${error && options.errorExtra !== undefined ? ` ${options.errorExtra}` : ''}`;
    lastEcho = echo;
    answer(dialect, mode, wantsStream(request, Buffer.concat(chunks).toString('utf8')), echo, response);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    enqueue: (...modes) => queue.push(...modes),
    get lastEcho() {
      return lastEcho;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
