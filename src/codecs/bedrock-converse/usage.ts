import type { Usage } from '../../spec/index.js';
import { isRecord, type ConverseUsage } from './wire-types.js';

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Converse `usage` → spec usage. Like Anthropic's, Bedrock's `inputTokens` counts only the prompt
 * tokens that were neither read from nor written to the cache (`totalTokens` = inputTokens +
 * outputTokens + cacheReadInputTokens + cacheWriteInputTokens), while the spec's `inputTokens` is the
 * whole prompt, so the cache counters are added back.
 */
export function decodeUsage(wire: unknown): Usage {
  if (!isRecord(wire)) return { inputTokens: undefined, outputTokens: undefined };
  const uncachedInput = count(wire.inputTokens);
  const cacheRead = count(wire.cacheReadInputTokens);
  const cacheWrite = count(wire.cacheWriteInputTokens);
  const usage: Usage = {
    inputTokens: uncachedInput === undefined ? undefined : uncachedInput + (cacheRead ?? 0) + (cacheWrite ?? 0),
    outputTokens: count(wire.outputTokens),
  };
  if (cacheRead !== undefined) usage.cachedInputTokens = cacheRead;
  if (cacheWrite !== undefined) usage.cacheWriteTokens = cacheWrite;
  return usage;
}

/** Spec usage → Converse `usage`, the inverse of decodeUsage. The three counts are required on the wire, so unknown becomes 0. */
export function encodeUsage(usage: Usage): ConverseUsage {
  const cacheRead = usage.cachedInputTokens;
  const cacheWrite = usage.cacheWriteTokens;
  const inputTokens = usage.inputTokens === undefined ? 0 : Math.max(0, usage.inputTokens - (cacheRead ?? 0) - (cacheWrite ?? 0));
  const outputTokens = usage.outputTokens ?? 0;
  const wire: ConverseUsage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens + (cacheRead ?? 0) + (cacheWrite ?? 0) };
  if (cacheRead !== undefined) wire.cacheReadInputTokens = cacheRead;
  if (cacheWrite !== undefined) wire.cacheWriteInputTokens = cacheWrite;
  return wire;
}
