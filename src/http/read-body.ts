import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../spec/index.js';
import { discardBody } from './discard-body.js';

/** What bounds the reading of one request body. */
export interface BodyLimits {
  /** `server.max_body_bytes`. */
  maxBytes: number;
  /** `server.body_idle_timeout_ms`: the longest silence between two chunks. */
  idleTimeoutMs: number;
}

/**
 * A refused body is not answered until it has been read (see discardBody), and the connection is
 * closed after the answer: it was either cut short or held a stalled or oversized body.
 */
const CLOSE = { connection: 'close' };

/**
 * Reads a request body of at most `limits.maxBytes`. Rejects with a GatewayError that says what
 * went wrong: `body_too_large` (once the rest of the body is discarded, within bounds, so that
 * clients writing the whole body before reading see the answer), `request_timeout` (a silence of
 * `idleTimeoutMs`, or `signal` aborted by the request timeout), `client_disconnected`.
 *
 * Plain `data`/`end` listeners and one timer refreshed per chunk: most bodies are one or two
 * chunks, for which an async iterator and an end-of-stream watcher cost several times more.
 */
export function readRequestBody(request: IncomingMessage, limits: BodyLimits, signal: AbortSignal): Promise<Buffer> {
  if (signal.aborted) return Promise.reject(abortedWhileReading(signal));
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    return refuseOversized(request, limits, signal, `The request body is ${declared} bytes; the limit is ${limits.maxBytes} bytes (server.max_body_bytes).`);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      clearTimeout(idle);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onGone);
      request.off('close', onGone);
      signal.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) {
        cleanup();
        refuseOversized(request, limits, signal, `The request body exceeds the limit of ${limits.maxBytes} bytes (server.max_body_bytes).`, size).catch(reject);
        return;
      }
      chunks.push(chunk);
      idle.refresh();
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onGone = () => {
      cleanup();
      reject(disconnected());
    };
    const onAbort = () => {
      cleanup();
      reject(abortedWhileReading(signal));
    };
    const idle = setTimeout(() => {
      cleanup();
      request.pause();
      reject(new GatewayError('request_timeout', `No part of the request body arrived for ${limits.idleTimeoutMs} ms (server.body_idle_timeout_ms).`, { headers: CLOSE }));
    }, limits.idleTimeoutMs);
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onGone);
    request.once('close', onGone);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reads and drops the rest of an oversized body (see discardBody), then rejects with `body_too_large`. */
async function refuseOversized(request: IncomingMessage, limits: BodyLimits, signal: AbortSignal, message: string, alreadyRead = 0): Promise<never> {
  await discardBody(request, { idleTimeoutMs: limits.idleTimeoutMs, signal, alreadyRead });
  throw new GatewayError('body_too_large', message, { headers: CLOSE });
}

/**
 * The exchange's signal aborted while the body was still arriving. A caller who went away is
 * `client_disconnected` (nobody reads the answer); otherwise the request timeout ran out while the
 * caller was still sending, which is the caller's slowness (408), not the provider's.
 */
function abortedWhileReading(signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  if (GatewayError.is(reason) && reason.code === 'client_disconnected') return reason;
  return new GatewayError('request_timeout', 'The request body was still arriving when the request timeout ran out (server.request_timeout_ms).', { headers: CLOSE });
}

function disconnected(): GatewayError {
  return new GatewayError('client_disconnected', 'The caller closed the connection before sending the whole request body.');
}
