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
