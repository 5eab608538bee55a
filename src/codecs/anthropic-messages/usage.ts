import type { Usage } from '../../spec/index.js';
import { isRecord, type AnthropicUsage } from './wire-types.js';

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Anthropic usage → spec usage. Anthropic's `input_tokens` EXCLUDES cache reads and writes
 * ("total input tokens is the sum of input_tokens, cache_creation_input_tokens and
 * cache_read_input_tokens"), while the spec's `inputTokens` is the whole prompt.
 */
export function decodeUsage(wire: unknown): Usage {
  if (!isRecord(wire)) return { inputTokens: undefined, outputTokens: undefined };
  const uncachedInput = count(wire.input_tokens);
  const cacheRead = count(wire.cache_read_input_tokens);
  const split = isRecord(wire.cache_creation) ? wire.cache_creation : undefined;
  const write5m = count(split?.ephemeral_5m_input_tokens);
  const cacheWrite1h = count(split?.ephemeral_1h_input_tokens);
  // cache_creation_input_tokens is the total of both lifetimes; the split alone still says it.
  const cacheWrite = count(wire.cache_creation_input_tokens) ?? (write5m === undefined && cacheWrite1h === undefined ? undefined : (write5m ?? 0) + (cacheWrite1h ?? 0));
  const usage: Usage = {
    inputTokens: uncachedInput === undefined ? undefined : uncachedInput + (cacheRead ?? 0) + (cacheWrite ?? 0),
    outputTokens: count(wire.output_tokens),
  };
  if (cacheRead !== undefined) usage.cachedInputTokens = cacheRead;
  if (cacheWrite !== undefined) usage.cacheWriteTokens = cacheWrite;
  if (cacheWrite1h !== undefined) usage.cacheWrite1hTokens = cacheWrite1h;
  const thinking = isRecord(wire.output_tokens_details) ? count(wire.output_tokens_details.thinking_tokens) : undefined;
  if (thinking !== undefined) usage.reasoningTokens = thinking;
  return usage;
}

/**
 * Overlays a `message_delta` usage on what `message_start` said: Anthropic's delta counters are
 * cumulative totals, omitted or null when they do not apply, so present values replace, never add.
 */
export function mergeWireUsage(current: AnthropicUsage, next: unknown): AnthropicUsage {
  if (!isRecord(next)) return current;
  const merged: AnthropicUsage = { ...current };
  for (const field of ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const) {
    const value = count(next[field]);
    if (value !== undefined) merged[field] = value;
  }
  if (isRecord(next.cache_creation)) merged.cache_creation = next.cache_creation as AnthropicUsage['cache_creation'];
  if (isRecord(next.output_tokens_details)) merged.output_tokens_details = next.output_tokens_details as AnthropicUsage['output_tokens_details'];
  return merged;
}

/** Later spec usage reports of a stream replace the fields they set (the StreamPart contract). */
export function mergeUsageReports(current: Usage, next: Usage): Usage {
  const merged: Usage = { ...current };
  for (const [field, value] of Object.entries(next) as [keyof Usage, number | undefined][]) if (value !== undefined) merged[field] = value;
  return merged;
}

/**
 * Spec usage → Anthropic usage, the inverse of decodeUsage. `input_tokens` and `output_tokens` are
 * required numbers on the wire, so unknown becomes 0 there; the cache counters are nullable on the
 * wire, so unknown stays null.
 */
export function encodeUsage(usage: Usage): AnthropicUsage & { input_tokens: number; output_tokens: number } {
  const cacheRead = usage.cachedInputTokens;
  const cacheWrite = usage.cacheWriteTokens;
  const uncachedInput = usage.inputTokens === undefined ? 0 : Math.max(0, usage.inputTokens - (cacheRead ?? 0) - (cacheWrite ?? 0));
  const wire: AnthropicUsage & { input_tokens: number; output_tokens: number } = {
    input_tokens: uncachedInput,
    output_tokens: usage.outputTokens ?? 0,
    cache_creation_input_tokens: cacheWrite ?? null,
    cache_read_input_tokens: cacheRead ?? null,
  };
  if (usage.cacheWrite1hTokens !== undefined) {
    wire.cache_creation = {
      ephemeral_5m_input_tokens: Math.max(0, (cacheWrite ?? 0) - usage.cacheWrite1hTokens),
      ephemeral_1h_input_tokens: usage.cacheWrite1hTokens,
    };
  }
  if (usage.reasoningTokens !== undefined) wire.output_tokens_details = { thinking_tokens: usage.reasoningTokens };
  return wire;
}
