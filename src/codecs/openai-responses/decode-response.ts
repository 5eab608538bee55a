import { GatewayError, type ChatResponse, type ContentPart, type ToolCall } from '../../spec/index.js';
import { isObject, numberOrUndefined, stringOrUndefined, type JsonObject } from '../openai-chat/read-fields.js';
import { decodeStatus } from './status.js';
import { decodeResponsesUsage } from './usage.js';

/** A `/v1/responses` answer → a spec response (one choice). */
export function decodeResponsesResponse(body: unknown): ChatResponse {
  if (!isObject(body) || !Array.isArray(body.output)) throw new GatewayError('upstream_invalid_response', 'The upstream answer is not a Responses API `response` object (no `output` list).');
  if (body.status === 'failed') {
    const message = isObject(body.error) ? stringOrUndefined(body.error.message) : undefined;
    throw new GatewayError('upstream_error', message ?? 'The upstream reported the response as failed.', { retryable: true });
  }
  const content: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  let refusal: string | undefined;
  for (const item of body.output) {
    if (!isObject(item)) continue;
    if (item.type === 'message' && Array.isArray(item.content)) {
      for (const part of item.content) {
        if (!isObject(part)) continue;
        if (part.type === 'output_text' && typeof part.text === 'string') content.push({ type: 'text', text: part.text });
        else if (part.type === 'refusal' && typeof part.refusal === 'string') refusal = (refusal ?? '') + part.refusal;
      }
    } else if (item.type === 'function_call') {
      toolCalls.push({ id: stringOrUndefined(item.call_id) ?? stringOrUndefined(item.id) ?? '', name: stringOrUndefined(item.name) ?? '', arguments: stringOrUndefined(item.arguments) ?? '' });
    } else if (item.type === 'reasoning') {
      const part = reasoningPartOf(item);
      if (part !== undefined) content.push(part);
    }
  }
  const incompleteReason = isObject(body.incomplete_details) ? body.incomplete_details.reason : undefined;
  return {
    id: stringOrUndefined(body.id) ?? '',
    model: stringOrUndefined(body.model) ?? '',
    created: numberOrUndefined(body.created_at) ?? Math.floor(Date.now() / 1000),
    choices: [{ index: 0, content, toolCalls, finishReason: decodeStatus(body.status, incompleteReason, toolCalls.length > 0), ...(refusal === undefined ? {} : { refusal }) }],
    usage: decodeResponsesUsage(body.usage),
  };
}

/** A reasoning output item → summary text with `encrypted_content` as signature, or redacted reasoning. */
export function reasoningPartOf(item: JsonObject): ContentPart | undefined {
  let text = '';
  if (Array.isArray(item.summary)) for (const entry of item.summary) if (isObject(entry) && typeof entry.text === 'string') text += (text.length > 0 ? '\n\n' : '') + entry.text;
  const encrypted = stringOrUndefined(item.encrypted_content);
  if (text.length > 0) return { type: 'reasoning', text, ...(encrypted === undefined ? {} : { signature: encrypted }) };
  if (encrypted !== undefined && encrypted.length > 0) return { type: 'redacted-reasoning', data: encrypted };
  return undefined;
}
