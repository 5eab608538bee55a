import type { ChatResponse, ContentPart, ToolCall } from '../../spec/index.js';
import { encodeStopReason } from './finish-reason.js';
import { encodeUsage } from './usage.js';
import { isRecord, type ConverseContentBlock } from './wire-types.js';

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

export function encodeAssistantContent(content: readonly ContentPart[], toolCalls: readonly ToolCall[]): ConverseContentBlock[] {
  const blocks: ConverseContentBlock[] = [];
  for (const part of content) {
    if (part.type === 'text') blocks.push({ text: part.text });
    else if (part.type === 'reasoning') blocks.push({ reasoningContent: { reasoningText: { text: part.text, ...(part.signature === undefined ? {} : { signature: part.signature }) } } });
    else if (part.type === 'redacted-reasoning') blocks.push({ reasoningContent: { redactedContent: part.data } });
  }
  for (const call of toolCalls) blocks.push({ toolUse: { toolUseId: call.id, name: call.name, input: toolInputOf(call.arguments) } });
  return blocks;
}

/** Spec response → Converse response, for callers that speak Converse. Only choice 0 exists in Converse; the model is in the caller's URL, not the body. */
export function encodeResponse(response: ChatResponse, _model: string): Record<string, unknown> {
  const choice = response.choices[0];
  return {
    output: { message: { role: 'assistant', content: choice === undefined ? [] : encodeAssistantContent(choice.content, choice.toolCalls) } },
    stopReason: choice === undefined ? 'end_turn' : encodeStopReason(choice.finishReason),
    usage: encodeUsage(response.usage),
    metrics: { latencyMs: 0 },
  };
}
