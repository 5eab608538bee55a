import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../spec/index.js';
import { jsonErrorPosition } from '../lib/json-error-position.js';
import { discardBody } from './discard-body.js';
import { readRequestBody, type BodyLimits } from './read-body.js';
import { signalOf, type AbortState } from './request-abort.js';

/**
 * Reads a JSON body within `limits` (see readRequestBody), stopping when `signal` aborts. Errors
 * are GatewayErrors naming the problem and, for bad JSON, the position.
 */
export async function readJsonBody(request: IncomingMessage, limits: BodyLimits, signal: AbortState): Promise<unknown> {
  return parseJsonBody(await readJsonBytes(request, limits, signal));
}

/** The bytes of a JSON body, read as readJsonBody reads them (the same limits and errors) but not parsed. */
export async function readJsonBytes(request: IncomingMessage, limits: BodyLimits, signal: AbortState): Promise<Buffer> {
  const type = request.headers['content-type'];
  if (type !== undefined && /^\s*multipart\//i.test(type)) {
    const ended = await discardBody(request, { idleTimeoutMs: limits.watch.idleTimeoutMs, signal: signalOf(signal) });
    throw new GatewayError('unsupported_media_type', `Expected a JSON body (application/json), got ${type.split(';')[0]}.`, ended ? {} : { headers: { connection: 'close' } });
  }
  return readRequestBody(request, limits, signal);
}

/** A body's bytes as JSON; GatewayError `invalid_json` naming the position when they are not. */
export function parseJsonBody(bytes: Buffer): unknown {
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
