import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptedHandler = (request: IncomingMessage, response: ServerResponse, body: string) => void | Promise<void>;

export interface ScriptedUpstream {
  /** Base URL including `/v1`. */
  readonly url: string;
  /** Requests received so far. */
  readonly count: number;
  /** Handlers for the next requests, in order; afterwards `fallback` answers. */
  script(...handlers: ScriptedHandler[]): void;
  fallback: ScriptedHandler;
  close(): Promise<void>;
}

/**
 * A loopback upstream whose answers are written by hand, for failures the provider fakes do not
 * script: error events inside a 200 stream, bodies that are not JSON, sockets reset mid-body.
 */
export async function startScriptedUpstream(): Promise<ScriptedUpstream> {
  const queue: ScriptedHandler[] = [];
  let count = 0;
  let fallback: ScriptedHandler = (_request, response) => sendCompletion(response, 'scripted fallback');
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    count++;
    await (queue.shift() ?? fallback)(request, response, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get count() {
      return count;
    },
    get fallback() {
      return fallback;
    },
    set fallback(handler: ScriptedHandler) {
      fallback = handler;
    },
    script: (...handlers: ScriptedHandler[]) => void queue.push(...handlers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendCompletion(response: ServerResponse, text: string): void {
  const body = JSON.stringify({
    id: 'chatcmpl-scripted',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  });
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

export function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

export function startEventStream(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}
