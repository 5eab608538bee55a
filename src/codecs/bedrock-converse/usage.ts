import type { Usage } from '../../spec/index.js';
import { isRecord } from './wire-types.js';

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
  // `cacheDetails`: the writes by lifetime, [{ ttl: '1h' | '5m', inputTokens }] (TokenUsage, Bedrock API reference).
  if (Array.isArray(wire.cacheDetails)) {
    let oneHour: number | undefined;
    for (const detail of wire.cacheDetails) if (isRecord(detail) && detail.ttl === '1h') oneHour = (oneHour ?? 0) + (count(detail.inputTokens) ?? 0);
    if (oneHour !== undefined) usage.cacheWrite1hTokens = oneHour;
  }
  return usage;
}
