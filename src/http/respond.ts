import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../spec/index.js';
import type { ErrorRenderer } from './http-route.js';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  writeJson(response, status, body, { ...headers });
}

/** sendJson with a header object of the caller's own, which it completes and hands to Node. */
function writeJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string | number>): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (response.headersSent) {
    response.end();
    return;
  }
  headers['content-type'] = 'application/json';
  headers['content-length'] = Buffer.byteLength(text);
  response.writeHead(status, headers);
  response.end(text);
}

/** Sends `error` in the route's envelope (a codec's `encodeError`) with its status, `Retry-After` and extra headers. */
export function sendError(response: ServerResponse, error: GatewayError, render: ErrorRenderer, headers: Record<string, string> = {}): void {
  const all: Record<string, string | number> = { ...headers, ...error.headers, ...render.headers?.(error), 'x-tollgate-error-code': error.code };
  if (error.retryAfterMs !== undefined) all['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  writeJson(response, render.status?.(error) ?? error.status, render(error), all);
}
