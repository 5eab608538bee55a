import { GatewayError, type ChatChoice, type ChatResponse, type ContentPart, type ToolCall } from '../../spec/index.js';
import { decodeFinishReason } from './finish-reason.js';
import { isObject, numberOrUndefined, stringOrUndefined, type JsonObject } from './read-fields.js';
import { decodeUsage } from './usage.js';

/** An upstream `chat.completion` body → spec response. Throws `upstream_invalid_response` when it is not one. */
export function decodeChatResponse(body: unknown): ChatResponse {
  if (!isObject(body) || !Array.isArray(body.choices)) {
    throw new GatewayError('upstream_invalid_response', 'The upstream answer is not a chat completion (no `choices` list).', { retryable: true });
  }
  const response: ChatResponse = {
    id: stringOrUndefined(body.id) ?? '',
    model: stringOrUndefined(body.model) ?? '',
    created: numberOrUndefined(body.created) ?? Math.floor(Date.now() / 1000),
    choices: body.choices.map((choice, position) => decodeChoice(choice, position)),
    usage: decodeUsage(body.usage),
  };
  const fingerprint = stringOrUndefined(body.system_fingerprint);
  if (fingerprint !== undefined) response.systemFingerprint = fingerprint;
  return response;
}

function decodeChoice(value: unknown, position: number): ChatChoice {
  const choice: JsonObject = isObject(value) ? value : {};
  const message: JsonObject = isObject(choice.message) ? choice.message : {};
  const content: ContentPart[] = [];
  // OpenAI-compatible reasoning models put their thinking beside the answer: DeepSeek and vLLM
  // as `reasoning_content`, OpenRouter and Groq as `reasoning`.
  const reasoning = stringOrUndefined(message.reasoning_content) ?? stringOrUndefined(message.reasoning);
  if (reasoning !== undefined && reasoning.length > 0) content.push({ type: 'reasoning', text: reasoning });
  decodeContent(message.content, content);
  const decoded: ChatChoice = {
    index: numberOrUndefined(choice.index) ?? position,
    content,
    toolCalls: decodeToolCalls(message),
    finishReason: decodeFinishReason(choice.finish_reason),
  };
  const refusal = stringOrUndefined(message.refusal);
  if (refusal !== undefined) decoded.refusal = refusal;
  return decoded;
}

/** `content` is a string for OpenAI; Mistral's reasoning models answer with a list of typed chunks. */
function decodeContent(value: unknown, into: ContentPart[]): void {
  if (typeof value === 'string') {
    if (value.length > 0) into.push({ type: 'text', text: value });
    return;
  }
  if (!Array.isArray(value)) return;
  for (const part of value) {
    if (!isObject(part)) continue;
    if (part.type === 'text' && typeof part.text === 'string') into.push({ type: 'text', text: part.text });
    else if (part.type === 'thinking') {
      const thinking = Array.isArray(part.thinking) ? part.thinking.map((item) => (isObject(item) ? stringOrUndefined(item.text) ?? '' : '')).join('') : stringOrUndefined(part.thinking);
      if (thinking) into.push({ type: 'reasoning', text: thinking });
    }
  }
}

function decodeToolCalls(message: JsonObject): ToolCall[] {
  const calls: ToolCall[] = [];
  if (Array.isArray(message.tool_calls)) {
    for (const item of message.tool_calls) {
      if (!isObject(item) || !isObject(item.function)) continue;
      const args = item.function.arguments;
      calls.push({
        id: stringOrUndefined(item.id) ?? '',
        name: stringOrUndefined(item.function.name) ?? '',
        arguments: typeof args === 'string' ? args : args === undefined || args === null ? '' : JSON.stringify(args),
      });
    }
  }
  if (isObject(message.function_call)) {
    const name = stringOrUndefined(message.function_call.name) ?? '';
    calls.push({ id: name, name, arguments: stringOrUndefined(message.function_call.arguments) ?? '' });
  }
  return calls;
}
