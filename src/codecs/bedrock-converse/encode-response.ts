import type { ChatResponse, ContentPart, FinishReason, ToolCall, Usage } from '../../spec/index.js';
import { CONVERSE_STOP_REASONS, type ConverseContentBlock, type ConverseStopReason } from './wire-types.js';

/**
 * Spec → Converse, for callers of the gateway's Bedrock surface: the answer of `POST /model/{modelId}/converse`
 * (`{output: {message}, stopReason, usage, metrics}`) and the pieces its stream events carry.
 */

/** A spec finish reason → Converse `stopReason`: the raw word when it is already one, else by meaning. */
export function encodeStopReason(reason: FinishReason): ConverseStopReason {
  if (reason.raw !== undefined && (CONVERSE_STOP_REASONS as readonly string[]).includes(reason.raw)) return reason.raw as ConverseStopReason;
  switch (reason.unified) {
    case 'length':
      return 'max_tokens';
    case 'tool-calls':
      return 'tool_use';
    case 'content-filter':
      return 'content_filtered';
    default:
      return 'end_turn';
  }
}

/**
 * Spec usage → Converse `usage`. Converse's `inputTokens` leaves out the tokens read from or written
 * to the cache (the spec's counts the whole prompt), and `totalTokens` adds them all up.
 */
export function encodeUsage(usage: Usage): Record<string, number> {
  const cacheRead = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const input = Math.max(0, (usage.inputTokens ?? 0) - cacheRead - cacheWrite);
  const output = usage.outputTokens ?? 0;
  const wire: Record<string, number> = { inputTokens: input, outputTokens: output, totalTokens: input + output + cacheRead + cacheWrite };
  // As Bedrock, only when the prompt cache was used.
  if (cacheRead > 0) wire.cacheReadInputTokens = cacheRead;
  if (cacheWrite > 0) wire.cacheWriteInputTokens = cacheWrite;
  return wire;
}

function encodeBlock(part: ContentPart): ConverseContentBlock | undefined {
  switch (part.type) {
    case 'text':
      return part.text === '' ? undefined : { text: part.text };
    case 'reasoning':
      return { reasoningContent: { reasoningText: { text: part.text, ...(part.signature === undefined ? {} : { signature: part.signature }) } } };
    case 'redacted-reasoning':
      return { reasoningContent: { redactedContent: part.data } };
    default:
      // Models answer in text; an image or file in an answer has no Converse output block.
      return undefined;
  }
}

/** A tool call's JSON arguments → the `input` object Converse carries (`{}` when they are not an object). */
export function toolInput(call: ToolCall): unknown {
  try {
    const input: unknown = JSON.parse(call.arguments === '' ? '{}' : call.arguments);
    return typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {};
  } catch {
    return {};
  }
}

/** Spec response → Converse response body; `latencyMs` is the gateway's time for the request. */
export function encodeConverseResponse(response: ChatResponse, latencyMs: number): Record<string, unknown> {
  const choice = response.choices[0];
  const content: ConverseContentBlock[] = [];
  for (const part of choice?.content ?? []) {
    const block = encodeBlock(part);
    if (block !== undefined) content.push(block);
  }
  for (const call of choice?.toolCalls ?? []) content.push({ toolUse: { toolUseId: call.id, name: call.name, input: toolInput(call) } });
  return {
    output: { message: { role: 'assistant', content } },
    stopReason: encodeStopReason(choice?.finishReason ?? { unified: 'stop', raw: undefined }),
    usage: encodeUsage(response.usage),
    metrics: { latencyMs: Math.max(0, Math.round(latencyMs)) },
  };
}
