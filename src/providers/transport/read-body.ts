import type { Readable } from 'node:stream';
import type { UpstreamHttpResponse } from '../provider.js';

const DEFAULT_LIMIT_BYTES = 64 * 1024 * 1024;

/** Collects a body stream into one string (upstream error bodies and non-streamed responses). */
export async function readBody(body: AsyncIterable<Buffer | string>, limitBytes = DEFAULT_LIMIT_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > limitBytes) throw new Error(`upstream body exceeds ${limitBytes} bytes`);
    chunks.push(buffer);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

/** A whole upstream body as text: through the transport's direct reader when it has one, else by iterating. */
export function readResponseText(response: UpstreamHttpResponse, limitBytes = DEFAULT_LIMIT_BYTES): Promise<string> {
  return response.text === undefined ? readBody(response.body, limitBytes) : response.text(limitBytes);
}

/**
 * Reads a Node stream to its end with plain `data`/`end` listeners. `for await` over a stream
 * builds an async iterator and an end-of-stream watcher per body, which costs several times more
 * for the one- or two-chunk bodies a gateway mostly sees. Rejects with the stream's error, with
 * `tooLarge()` past `limitBytes` (the stream is then left to the caller), or when the stream closes
 * before its end.
 */
export function readStream(stream: Readable, limitBytes: number, tooLarge: (size: number) => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > limitBytes) {
        cleanup();
        reject(tooLarge(size));
        return;
      }
      chunks.push(buffer);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error('the body ended before it was complete'), { code: 'ECONNRESET' }));
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}
