import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GatewayError } from '../spec/index.js';
import type { ErrorRenderer } from './http-route.js';

/**
 * Answers `error` on a socket no ServerResponse owns (a malformed or timed-out request, a refused
 * WebSocket upgrade), in the envelope `render` builds, with the headers `sendError` would set,
 * then ends the connection.
 */
export function endSocketWithError(socket: Duplex, error: GatewayError, render: ErrorRenderer, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(render(error));
  const all: Record<string, string> = { ...headers, ...error.headers, ...render.headers?.(error), 'x-tollgate-error-code': error.code };
  const status = render.status?.(error) ?? error.status;
  if (error.retryAfterMs !== undefined) all['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(all)) if (name !== 'connection') head += `${name}: ${value}\r\n`;
  socket.end(`${head}\r\n${body}`);
}
