import type { Usage } from '../../spec/index.js';
import type { CohereUsage } from './wire.js';

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Cohere reports `tokens` (what the model read and wrote, its prompt template included),
 * `billed_units` (what it charges) and `cached_tokens` (part of `tokens.input_tokens`). The spec's
 * usage is the whole prompt, cached part included, so `tokens` is read first; `billed_units` only
 * when `tokens` is absent.
 */
export function decodeCohereUsage(usage: CohereUsage | undefined): Usage {
  const tokens = usage?.tokens;
  const billed = usage?.billed_units;
  const decoded: Usage = {
    inputTokens: count(tokens?.input_tokens) ?? count(billed?.input_tokens),
    outputTokens: count(tokens?.output_tokens) ?? count(billed?.output_tokens),
  };
  const cached = count(usage?.cached_tokens);
  if (cached !== undefined && cached > 0) decoded.cachedInputTokens = cached;
  return decoded;
}
