import { randomUUID } from 'node:crypto';
import { GatewayError, type ChatResponse } from '../../spec/index.js';
import { decodeBlocks } from './decode-content.js';
import { decodeStopReason } from './finish-reason.js';
import { decodeUsage } from './usage.js';
import { isRecord } from './wire-types.js';

function invalidResponse(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `Bedrock response: ${message}`, { retryable: true });
}

/**
 * Converse response (`{output: {message}, stopReason, usage, metrics}`) → spec response. Converse
 * carries neither an id nor the model nor a time, so the id is made up and `created` is now.
 */
export function decodeResponse(body: unknown): ChatResponse {
  if (!isRecord(body)) throw invalidResponse('the body is not an object.');
  const message = isRecord(body.output) ? body.output.message : undefined;
  if (!isRecord(message) || !Array.isArray(message.content)) throw invalidResponse('output.message.content is not an array.');
  const { content, toolCalls } = decodeBlocks(message.content);
  return {
    id: `bedrock-${randomUUID()}`,
    model: '',
    created: Math.floor(Date.now() / 1000),
    choices: [{ index: 0, content, toolCalls, finishReason: decodeStopReason(body.stopReason) }],
    usage: decodeUsage(body.usage),
  };
}
