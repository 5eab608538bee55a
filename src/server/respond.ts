import type { ServerResponse } from 'node:http';
import { ERROR_CODES, type GatewayError } from '../spec/index.js';
import type { ErrorRenderer } from './http-route.js';

/** OpenAI's error envelope, the default for every route. */
export const renderOpenAIError: ErrorRenderer = (error) => ({
  error: { message: error.message, type: ERROR_CODES[error.code].type, code: error.code, param: error.param ?? null },
});

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Sends `error` in the route's envelope with its status, `Retry-After` and extra headers. */
export function sendError(response: ServerResponse, error: GatewayError, render: ErrorRenderer = renderOpenAIError, headers: Record<string, string> = {}): void {
  const extra: Record<string, string> = { ...headers, ...error.headers, 'x-tollgate-error-code': error.code };
  if (error.retryAfterMs !== undefined) extra['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  sendJson(response, error.status, render(error), extra);
}
