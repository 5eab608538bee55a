import type { Usage } from '../../spec/index.js';
import type { GeminiModalityTokenCount, GeminiUsageMetadata } from './wire.js';

/** The tokens of one modality in a per-modality list; undefined when the list does not name it. */
function modalityCount(details: readonly GeminiModalityTokenCount[] | undefined, modality: string): number | undefined {
  if (!Array.isArray(details)) return undefined;
  let total: number | undefined;
  for (const entry of details) {
    if (typeof entry !== 'object' || entry === null || entry.modality !== modality) continue;
    const count = typeof entry.tokenCount === 'number' && Number.isFinite(entry.tokenCount) && entry.tokenCount > 0 ? entry.tokenCount : 0;
    total = (total ?? 0) + count;
  }
  return total;
}

/**
 * `usageMetadata` → Usage. Gemini serialises protobuf messages as JSON, which leaves out fields that
 * are zero, so within a present `usageMetadata` a missing count means 0; a missing
 * `usageMetadata` means unknown.
 *
 * - inputTokens = promptTokenCount (it already includes cachedContentTokenCount) plus
 *   toolUsePromptTokenCount (results of server-side tools, billed as input).
 * - outputTokens = candidatesTokenCount + thoughtsTokenCount (thoughts are billed as output).
 * - Audio and image parts from the per-modality details (`promptTokensDetails`,
 *   `cacheTokensDetails`, `candidatesTokensDetails`), which models with audio or image prices bill apart.
 */
export function decodeUsage(metadata: GeminiUsageMetadata | undefined): Usage {
  if (metadata === undefined) return { inputTokens: undefined, outputTokens: undefined };
  const prompt = metadata.promptTokenCount ?? 0;
  const toolUse = metadata.toolUsePromptTokenCount ?? 0;
  const candidates = metadata.candidatesTokenCount ?? 0;
  const thoughts = metadata.thoughtsTokenCount ?? 0;
  const usage: Usage = {
    inputTokens: prompt + toolUse,
    outputTokens: candidates + thoughts,
    cachedInputTokens: metadata.cachedContentTokenCount ?? 0,
    reasoningTokens: thoughts,
  };
  const parts: [keyof Usage, number | undefined][] = [
    ['inputAudioTokens', modalityCount(metadata.promptTokensDetails, 'AUDIO')],
    ['cachedAudioTokens', modalityCount(metadata.cacheTokensDetails, 'AUDIO')],
    ['inputImageTokens', modalityCount(metadata.promptTokensDetails, 'IMAGE')],
    ['outputAudioTokens', modalityCount(metadata.candidatesTokensDetails, 'AUDIO')],
    ['outputImageTokens', modalityCount(metadata.candidatesTokensDetails, 'IMAGE')],
  ];
  for (const [field, count] of parts) if (count !== undefined) usage[field] = count;
  return usage;
}

/** Usage → `usageMetadata`, leaving out what is unknown (and zeros, as Gemini does). */
export function encodeUsage(usage: Usage): GeminiUsageMetadata | undefined {
  if (usage.inputTokens === undefined && usage.outputTokens === undefined) return undefined;
  const metadata: GeminiUsageMetadata = {};
  const reasoning = usage.reasoningTokens ?? 0;
  if (usage.inputTokens !== undefined) metadata.promptTokenCount = usage.inputTokens;
  if (usage.outputTokens !== undefined) metadata.candidatesTokenCount = Math.max(0, usage.outputTokens - reasoning);
  metadata.totalTokenCount = (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
  if (usage.cachedInputTokens) metadata.cachedContentTokenCount = usage.cachedInputTokens;
  if (reasoning > 0) metadata.thoughtsTokenCount = reasoning;
  return metadata;
}
