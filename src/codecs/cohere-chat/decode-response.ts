import { GatewayError, type ChatResponse, type ContentPart, type ToolCall } from '../../spec/index.js';
import { decodeCohereFinishReason } from './finish-reason.js';
import { decodeCohereUsage } from './usage.js';
import { isRecord, type CohereChatResponse } from './wire.js';

function invalid(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `Cohere answered ${message}`, { retryable: true });
}

/** A v2 chat response → spec. The `tool_plan` (the model's words before its tool calls) is text. Cohere does not name the model. */
export function decodeCohereResponse(body: unknown): ChatResponse {
  if (!isRecord(body)) throw invalid('with something that is not an object.');
  const response = body as CohereChatResponse;
  if (!isRecord(response.message)) throw invalid('without a `message`.');
  const content: ContentPart[] = [];
  for (const block of Array.isArray(response.message.content) ? response.message.content : []) {
    if (!isRecord(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') content.push({ type: 'text', text: block.text });
    else if (block.type === 'thinking' && typeof block.thinking === 'string') content.push({ type: 'reasoning', text: block.thinking });
  }
  const plan = response.message.tool_plan;
  if (typeof plan === 'string' && plan.length > 0 && !content.some((part) => part.type === 'text')) content.push({ type: 'text', text: plan });
  const toolCalls: ToolCall[] = [];
  (Array.isArray(response.message.tool_calls) ? response.message.tool_calls : []).forEach((call, index) => {
    if (!isRecord(call) || !isRecord(call.function) || typeof call.function.name !== 'string') throw invalid(`a tool call without a function name (tool_calls[${index}]).`);
    const args = call.function.arguments;
    toolCalls.push({ id: typeof call.id === 'string' && call.id !== '' ? call.id : `call_${index}`, name: call.function.name, arguments: typeof args === 'string' && args !== '' ? args : '{}' });
  });
  return {
    id: typeof response.id === 'string' ? response.id : '',
    model: '',
    created: Math.floor(Date.now() / 1000),
    choices: [{ index: 0, content, toolCalls, finishReason: decodeCohereFinishReason(response.finish_reason, toolCalls.length > 0) }],
    usage: decodeCohereUsage(isRecord(response.usage) ? response.usage : undefined),
  };
}
