import type { IncomingMessage } from 'node:http';

/**
 * How much of a refused body is read and dropped before answering: an unread rest of up to 64 MiB,
 * for up to 30 seconds (documented under `server.max_body_bytes` in docs/configuration.md). HTTP clients that
 * write the whole body before reading the answer (undici's fetch, hence the OpenAI and Anthropic
 * SDKs) report a connection error instead of the answer when the server stops reading and closes
 * while they still write; read to its end, the body leaves them free to read a 413 or a 404.
 * Past either bound the answer is sent all the same and the connection closed.
 */
export const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
export const DISCARD_MAX_MS = 30_000;

export interface DiscardOptions {
  /** The longest silence between two chunks (`server.body_idle_timeout_ms`). */
  idleTimeoutMs: number;
  /** Stops discarding when aborted (the caller went away, or the request timed out). */
  signal?: AbortSignal;
  /** Bytes of the body already read, when some were. */
  alreadyRead?: number;
}

/** Whether a request carries a body (a length above zero, or chunked), read or not. */
export function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads the rest of a request body and drops it. Resolves true once the body has ended, false when
 * a bound was reached first (too many bytes, too long, a silence, the caller gone, `signal`
 * aborted); the stream is then paused and the connection should be closed. Never rejects.
 */
export function discardBody(request: IncomingMessage, options: DiscardOptions): Promise<boolean> {
  if (request.complete || request.readableEnded) return Promise.resolve(true);
  if (request.destroyed || options.signal?.aborted === true) return Promise.resolve(false);
  // A declared length past the bound will not be read to its end: answer at once.
  if (Number(request.headers['content-length']) - (options.alreadyRead ?? 0) > DISCARD_MAX_BYTES) return Promise.resolve(false);
  return new Promise((resolve) => {
    let discarded = 0;
    const started = Date.now();
    const stop = (ended: boolean) => {
      clearTimeout(idle);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onStopped);
      request.off('close', onStopped);
      options.signal?.removeEventListener('abort', onStopped);
      if (!ended) request.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DISCARD_MAX_BYTES || Date.now() - started > DISCARD_MAX_MS) stop(false);
      else idle.refresh();
    };
    const onEnd = () => stop(true);
    const onStopped = () => stop(false);
    const idle = setTimeout(onStopped, Math.min(options.idleTimeoutMs, DISCARD_MAX_MS));
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onStopped);
    request.once('close', onStopped);
    options.signal?.addEventListener('abort', onStopped, { once: true });
    request.resume();
  });
}
