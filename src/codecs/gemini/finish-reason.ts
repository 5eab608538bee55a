import type { FinishReason, UnifiedFinishReason } from '../../spec/index.js';

/** Gemini's `finishReason` values and what they mean in unified terms (STOP is resolved by the caller). */
const UNIFIED_BY_RAW: Record<string, UnifiedFinishReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content-filter',
  RECITATION: 'content-filter',
  BLOCKLIST: 'content-filter',
  PROHIBITED_CONTENT: 'content-filter',
  SPII: 'content-filter',
  IMAGE_SAFETY: 'content-filter',
  IMAGE_PROHIBITED_CONTENT: 'content-filter',
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
  TOO_MANY_TOOL_CALLS: 'error',
  LANGUAGE: 'other',
  OTHER: 'other',
  FINISH_REASON_UNSPECIFIED: 'other',
};

/**
 * Gemini says STOP whether or not the model called functions, so a STOP with function calls
 * becomes `tool-calls`.
 */
export function decodeFinishReason(raw: string, hasToolCalls: boolean): FinishReason {
  const unified = UNIFIED_BY_RAW[raw] ?? 'other';
  return { unified: unified === 'stop' && hasToolCalls ? 'tool-calls' : unified, raw };
}

/** Prompt blocks (`promptFeedback.blockReason`) are always a content filter. */
export function blockedFinishReason(blockReason: string): FinishReason {
  return { unified: 'content-filter', raw: blockReason };
}

const RAW_BY_UNIFIED: Record<UnifiedFinishReason, string> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  'tool-calls': 'STOP',
  'content-filter': 'SAFETY',
  error: 'OTHER',
  other: 'OTHER',
};

/** Keeps the raw value when it is already Gemini's and agrees with the unified one (e.g. RECITATION). */
export function encodeFinishReason(finishReason: FinishReason): string {
  const raw = finishReason.raw;
  if (raw !== undefined && raw in UNIFIED_BY_RAW) {
    const decoded = decodeFinishReason(raw, finishReason.unified === 'tool-calls').unified;
    if (decoded === finishReason.unified) return raw;
  }
  return RAW_BY_UNIFIED[finishReason.unified];
}
