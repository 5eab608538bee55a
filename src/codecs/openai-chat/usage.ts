import type { Usage } from '../../spec/index.js';
import { isObject, numberOrUndefined } from './read-fields.js';

/**
 * OpenAI `usage` → spec usage. `prompt_tokens` already includes cached tokens, as spec usage
 * wants. DeepSeek reports cache hits as `prompt_cache_hit_tokens` instead of the details object.
 * Missing numbers stay undefined: unknown is not zero.
 */
export function decodeUsage(value: unknown): Usage {
  if (!isObject(value)) return { inputTokens: undefined, outputTokens: undefined };
  const usage: Usage = { inputTokens: numberOrUndefined(value.prompt_tokens), outputTokens: numberOrUndefined(value.completion_tokens) };
  const promptDetails = isObject(value.prompt_tokens_details) ? value.prompt_tokens_details : undefined;
  const cached = numberOrUndefined(promptDetails?.cached_tokens) ?? numberOrUndefined(value.prompt_cache_hit_tokens);
  if (cached !== undefined) usage.cachedInputTokens = cached;
  const completionDetails = isObject(value.completion_tokens_details) ? value.completion_tokens_details : undefined;
  const reasoning = numberOrUndefined(completionDetails?.reasoning_tokens);
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  // Audio models (gpt-4o-audio-preview, gpt-realtime) count audio inside prompt and completion tokens.
  const audioIn = numberOrUndefined(promptDetails?.audio_tokens);
  if (audioIn !== undefined && audioIn > 0) usage.inputAudioTokens = audioIn;
  const audioOut = numberOrUndefined(completionDetails?.audio_tokens);
  if (audioOut !== undefined && audioOut > 0) usage.outputAudioTokens = audioOut;
  return usage;
}

/**
 * Spec usage → OpenAI `usage`. The wire format has no way to say "unknown" and OpenAI's SDKs
 * expect numbers, so unknown counts are written as 0 here, at the edge, and only here.
 */
export function encodeUsage(usage: Usage): Record<string, unknown> {
  const prompt = usage.inputTokens ?? 0;
  const completion = usage.outputTokens ?? 0;
  const wire: Record<string, unknown> = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (usage.cachedInputTokens !== undefined) wire.prompt_tokens_details = { cached_tokens: usage.cachedInputTokens };
  if (usage.reasoningTokens !== undefined) wire.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  return wire;
}
