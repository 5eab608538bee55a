import { GatewayError } from '../../spec/index.js';
import type { UpstreamHttpResponse } from '../provider.js';
import { budgetExhausted, formatBytes, upstreamBufferBudget } from './body-budget.js';

/**
 * The largest non-streamed upstream answer read: past it the attempt fails with
 * `upstream_invalid_response` (no chat or embeddings answer comes near it; a body that does is
 * broken or hostile). Bytes being read also count against the process-wide upstream buffer budget.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** The most of an upstream error body read; the rest is not waited for (the message shows a few hundred characters). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The error of an upstream answer larger than `limitBytes`. */
export function bodyTooLarge(where: string, limitBytes: number): GatewayError {
  return new GatewayError('upstream_invalid_response', `The answer from ${where} is larger than ${formatBytes(limitBytes)}, the most Tollgate reads of a non-streamed answer.`, { retryable: true });
}

/**
 * Collects a body stream into one string (non-streamed responses), within `limitBytes` and the
 * process-wide buffer budget; both failures are `upstream_invalid_response`.
 */
export async function readBody(body: AsyncIterable<Buffer | string>, limitBytes = MAX_RESPONSE_BYTES, where = 'the provider'): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (size + buffer.length > limitBytes) throw bodyTooLarge(where, limitBytes);
      if (!upstreamBufferBudget.take(buffer.length)) throw budgetExhausted(where);
      size += buffer.length;
      chunks.push(buffer);
    }
    return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
  } finally {
    upstreamBufferBudget.give(size);
  }
}

/** A whole upstream body as text: through the transport's direct reader when it has one, else by iterating. */
export function readResponseText(response: UpstreamHttpResponse, limitBytes = MAX_RESPONSE_BYTES): Promise<string> {
  return response.text === undefined ? readBody(response.body, limitBytes) : response.text(limitBytes);
}

/**
 * The start of an upstream error body, up to `limitBytes` (the rest is dropped with the
 * connection); never throws: a body that breaks, or finds the buffer budget spent, yields what
 * arrived. An error answer is reported whatever its body holds.
 */
export async function readErrorBody(response: UpstreamHttpResponse, limitBytes = MAX_ERROR_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      let buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (size + buffer.length > limitBytes) buffer = buffer.subarray(0, limitBytes - size);
      if (!upstreamBufferBudget.take(buffer.length)) break;
      size += buffer.length;
      chunks.push(buffer);
      if (size >= limitBytes) break;
    }
  } catch {
    // A body that broke: what arrived is the message.
  } finally {
    upstreamBufferBudget.give(size);
  }
  // A cut may split a UTF-8 sequence: the decoder shows it as U+FFFD, which is harmless in a message.
  return Buffer.concat(chunks, size).toString('utf8');
}
