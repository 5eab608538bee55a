import type { Usage } from '../../spec/index.js';
import type { GeminiUsageMetadata } from './wire.js';

/**
 * `usageMetadata` → Usage. Gemini serialises protobuf messages as JSON, which leaves out fields that
 * are zero, so within a present `usageMetadata` a missing count means 0; a missing
 * `usageMetadata` means unknown.
 *
 * - inputTokens = promptTokenCount (it already includes cachedContentTokenCount) plus
 *   toolUsePromptTokenCount (results of server-side tools, billed as input).
 * - outputTokens = candidatesTokenCount + thoughtsTokenCount (thoughts are billed as output).
 */
export function decodeUsage(metadata: GeminiUsageMetadata | undefined): Usage {
  if (metadata === undefined) return { inputTokens: undefined, outputTokens: undefined };
  const prompt = metadata.promptTokenCount ?? 0;
  const toolUse = metadata.toolUsePromptTokenCount ?? 0;
  const candidates = metadata.candidatesTokenCount ?? 0;
  const thoughts = metadata.thoughtsTokenCount ?? 0;
  return {
    inputTokens: prompt + toolUse,
    outputTokens: candidates + thoughts,
    cachedInputTokens: metadata.cachedContentTokenCount ?? 0,
    reasoningTokens: thoughts,
  };
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
