import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../spec/index.js';
import type { BodyWatch } from './body-watch.js';
import { discardBody } from './discard-body.js';
import { signalOf, type AbortState } from './request-abort.js';

/** What bounds the reading of one request body. */
export interface BodyLimits {
  /** `server.max_body_bytes`. */
  maxBytes: number;
  /** Times the read out after `server.body_idle_timeout_ms` of silence, and ends it when the request's signal aborts. */
  watch: BodyWatch;
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
 * `server.body_idle_timeout_ms`, or `signal` aborted by the request timeout), `client_disconnected`.
 * `signal` may be the request's RequestAbort: reading a body then makes no AbortSignal.
 * The watch checks the idle time and `signal` (see BodyWatch); a caller who goes away is noticed
 * at once, from the request's own events.
 *
 * Plain `data`/`end` listeners: most bodies are one or two chunks, for which an async iterator and
 * an end-of-stream watcher cost several times more.
 */
export function readRequestBody(request: IncomingMessage, limits: BodyLimits, signal: AbortState): Promise<Buffer> {
  if (signal.aborted) return Promise.reject(abortedWhileReading(signal));
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    return refuseOversized(request, limits, signal, `The request body is ${declared} bytes; the limit is ${limits.maxBytes} bytes (server.max_body_bytes).`);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let lastChunkAt = Date.now();
    const { watch } = limits;
    const read = {
      check(now: number) {
        if (signal.aborted) fail(abortedWhileReading(signal));
        else if (now - lastChunkAt >= watch.idleTimeoutMs) {
          request.pause();
          fail(new GatewayError('request_timeout', `No part of the request body arrived for ${watch.idleTimeoutMs} ms (server.body_idle_timeout_ms).`, { headers: CLOSE }));
        }
      },
    };
    const cleanup = () => {
      watch.delete(read);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onGone);
      request.off('close', onGone);
    };
    const fail = (error: GatewayError) => {
      cleanup();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) {
        cleanup();
        refuseOversized(request, limits, signal, `The request body exceeds the limit of ${limits.maxBytes} bytes (server.max_body_bytes).`, size).catch(reject);
        return;
      }
      chunks.push(chunk);
      lastChunkAt = Date.now();
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onGone = () => fail(disconnected());
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onGone);
    request.once('close', onGone);
    watch.add(read);
  });
}

/** Reads and drops the rest of an oversized body (see discardBody), then rejects with `body_too_large`. */
async function refuseOversized(request: IncomingMessage, limits: BodyLimits, signal: AbortState, message: string, alreadyRead = 0): Promise<never> {
  await discardBody(request, { idleTimeoutMs: limits.watch.idleTimeoutMs, signal: signalOf(signal), alreadyRead });
  throw new GatewayError('body_too_large', message, { headers: CLOSE });
}

/**
 * The exchange's signal aborted while the body was still arriving. A caller who went away is
 * `client_disconnected` (nobody reads the answer); otherwise the request timeout ran out while the
 * caller was still sending, which is the caller's slowness (408), not the provider's.
 */
function abortedWhileReading(signal: AbortState): GatewayError {
  const reason: unknown = signal.reason;
  if (GatewayError.is(reason) && reason.code === 'client_disconnected') return reason;
  return new GatewayError('request_timeout', 'The request body was still arriving when the request timeout ran out (server.request_timeout_ms).', { headers: CLOSE });
}

function disconnected(): GatewayError {
  return new GatewayError('client_disconnected', 'The caller closed the connection before sending the whole request body.');
}
