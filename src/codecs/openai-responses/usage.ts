import type { Usage } from '../../spec/index.js';
import { isObject, numberOrUndefined } from '../openai-chat/read-fields.js';

/**
 * Responses `usage` → spec usage. Like spec usage, `input_tokens` includes the cached tokens and
 * `output_tokens` the reasoning tokens. Missing numbers stay unknown.
 */
export function decodeResponsesUsage(value: unknown): Usage {
  if (!isObject(value)) return { inputTokens: undefined, outputTokens: undefined };
  const usage: Usage = { inputTokens: numberOrUndefined(value.input_tokens), outputTokens: numberOrUndefined(value.output_tokens) };
  const cached = isObject(value.input_tokens_details) ? numberOrUndefined(value.input_tokens_details.cached_tokens) : undefined;
  if (cached !== undefined) usage.cachedInputTokens = cached;
  const reasoning = isObject(value.output_tokens_details) ? numberOrUndefined(value.output_tokens_details.reasoning_tokens) : undefined;
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  return usage;
}

/**
 * Spec usage → Responses `usage`. Every field is required on the wire and OpenAI's SDKs read them
 * as numbers, so unknown counts are written as 0 here, at the edge.
 */
export function encodeResponsesUsage(usage: Usage): Record<string, unknown> {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: input + output,
  };
}
