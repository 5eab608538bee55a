import type { Readable } from 'node:stream';

/**
 * Reads a Node stream to its end with plain `data`/`end` listeners. `for await` over a stream
 * builds an async iterator and an end-of-stream watcher per body, which costs several times more
 * for the one- or two-chunk bodies a gateway mostly sees. Rejects with the stream's error, with
 * `tooLarge()` past `limitBytes` (the stream is then left to the caller), or when the stream closes
 * before its end. `accept`, when given, is asked about every chunk before it is kept: an error it
 * returns rejects the read the same way (a budget of buffered bytes shared by several readers).
 */
export function readStream(stream: Readable, limitBytes: number, tooLarge: (size: number) => Error, accept?: (bytes: number) => Error | undefined): Promise<Buffer> {
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
      const refused = accept?.(buffer.length);
      if (refused !== undefined) {
        cleanup();
        reject(refused);
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
