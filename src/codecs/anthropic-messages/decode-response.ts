import { GatewayError, type ChatResponse, type ContentPart, type ToolCall } from '../../spec/index.js';
import { decodeStopReason } from './finish-reason.js';
import { decodeUsage } from './usage.js';
import { isRecord } from './wire-types.js';

function invalidResponse(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `Anthropic response: ${message}`, { retryable: true });
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalidResponse(`${field} is not a string.`);
  return value;
}

/**
 * Anthropic Message → spec response. Blocks the spec has no place for (server tool results,
 * citations) are skipped. Anthropic has no creation time, so `created` is now.
 */
export function decodeResponse(body: unknown): ChatResponse {
  if (!isRecord(body)) throw invalidResponse('the body is not an object.');
  if (!Array.isArray(body.content)) throw invalidResponse('content is not an array.');
  const content: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  body.content.forEach((item: unknown, index: number) => {
    if (!isRecord(item)) throw invalidResponse(`content[${index}] is not an object.`);
    switch (item.type) {
      case 'text':
        content.push({ type: 'text', text: text(item.text, `content[${index}].text`) });
        break;
      case 'thinking': {
        const signature = typeof item.signature === 'string' && item.signature !== '' ? { signature: item.signature } : {};
        content.push({ type: 'reasoning', text: text(item.thinking, `content[${index}].thinking`), ...signature });
        break;
      }
      case 'redacted_thinking':
        content.push({ type: 'redacted-reasoning', data: text(item.data, `content[${index}].data`) });
        break;
      case 'tool_use':
        toolCalls.push({ id: text(item.id, `content[${index}].id`), name: text(item.name, `content[${index}].name`), arguments: JSON.stringify(item.input ?? {}) });
        break;
      default:
        break;
    }
  });
  return {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    created: Math.floor(Date.now() / 1000),
    choices: [{ index: 0, content, toolCalls, finishReason: decodeStopReason(typeof body.stop_reason === 'string' ? body.stop_reason : undefined) }],
    usage: decodeUsage(body.usage),
  };
}
