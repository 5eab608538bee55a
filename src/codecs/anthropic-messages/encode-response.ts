import type { ChatResponse, ContentPart, ToolCall } from '../../spec/index.js';
import { agentBlocks } from './agent-blocks.js';
import { encodeStopReason } from './finish-reason.js';
import { encodeUsage } from './usage.js';
import { isRecord, type AnthropicContentBlock } from './wire-types.js';

/** Tool arguments as an `input` object; text that is not a JSON object is wrapped so nothing is lost. */
export function toolInputOf(argumentsText: string): Record<string, unknown> {
  if (argumentsText.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(argumentsText);
    if (isRecord(parsed)) return parsed;
  } catch {
    // Falls through: a model produced arguments that are not JSON.
  }
  return { _raw_arguments: argumentsText };
}

export function encodeContent(content: readonly ContentPart[], toolCalls: readonly ToolCall[]): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  for (const part of content) {
    if (part.type === 'text') blocks.push({ type: 'text', text: part.text });
    else if (part.type === 'reasoning') blocks.push({ type: 'thinking', thinking: part.text, signature: part.signature ?? '' });
    else if (part.type === 'redacted-reasoning') blocks.push({ type: 'redacted_thinking', data: part.data });
  }
  for (const call of toolCalls) blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInputOf(call.arguments) });
  return blocks;
}

/**
 * The caller-facing message id. Anthropic's ids start with `msg_`; ids from other upstreams
 * (`chatcmpl-…`, `resp_…`) keep their unique tail behind that prefix.
 */
export function messageIdOf(id: string): string {
  if (id.startsWith('msg_')) return id;
  const tail = id.replace(/^(chatcmpl-|resp_)/, '').replace(/[^A-Za-z0-9_-]/g, '');
  return `msg_${tail.length > 0 ? tail : 'tollgate'}`;
}

/** Spec response → Anthropic Message, for callers of the native Anthropic surface. Only choice 0 exists in Anthropic's format. */
export function encodeResponse(response: ChatResponse, model: string): Record<string, unknown> {
  const choice = response.choices[0];
  const stopReason = choice === undefined ? 'end_turn' : encodeStopReason(choice.finishReason);
  return {
    id: messageIdOf(response.id),
    type: 'message',
    role: 'assistant',
    model,
    content: [...(response.agent === undefined ? [] : agentBlocks(response.agent)), ...(choice === undefined ? [] : encodeContent(choice.content, choice.toolCalls))],
    stop_reason: stopReason,
    stop_sequence: null,
    usage: encodeUsage(response.usage),
  };
}
