import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../spec/index.js';
import { readStream } from '../lib/read-stream.js';
import { jsonErrorPosition } from '../lib/json-error-position.js';

/**
 * A refused body is not read to its end, so the connection cannot carry another request: say so,
 * or a keep-alive client sends its next request into a socket that is being torn down.
 */
const CLOSE = { connection: 'close' };

/** Reads a JSON body of at most `limit` bytes. Errors name the problem and, for bad JSON, the position. */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    throw new GatewayError('body_too_large', `The request body is ${declared} bytes; the limit is ${limit} bytes (server.max_body_bytes).`, { headers: CLOSE });
  }
  const type = request.headers['content-type'];
  if (type !== undefined && /^\s*multipart\//i.test(type)) {
    request.resume();
    throw new GatewayError('unsupported_media_type', `Expected a JSON body (application/json), got ${type.split(';')[0]}.`);
  }
  const bytes = await readStream(request, limit, () => {
    request.resume();
    return new GatewayError('body_too_large', `The request body exceeds the limit of ${limit} bytes (server.max_body_bytes).`, { headers: CLOSE });
  });
  const text = bytes.toString('utf8');
  if (text.trim().length === 0) throw new GatewayError('invalid_json', 'The request body is empty; expected a JSON object.');
  try {
    return JSON.parse(text);
  } catch {
    const { position, line, column } = jsonErrorPosition(text);
    const near = JSON.stringify(text.slice(Math.max(0, position - 20), position + 10));
    throw new GatewayError('invalid_json', `The request body is not valid JSON: unexpected ${position >= text.length ? "end of input" : "character"} at position ${position} (line ${line}, column ${column}) near ${near}.`);
  }
}
