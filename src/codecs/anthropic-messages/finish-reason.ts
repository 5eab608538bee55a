import type { FinishReason, UnifiedFinishReason } from '../../spec/index.js';
import { ANTHROPIC_STOP_REASONS, type AnthropicStopReason } from './wire-types.js';

const UNIFIED_BY_STOP_REASON: Record<AnthropicStopReason, UnifiedFinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool-calls',
  refusal: 'content-filter',
  // The turn is unfinished; the caller sends the response back to let the model continue.
  pause_turn: 'other',
};

const STOP_REASON_BY_UNIFIED: Record<UnifiedFinishReason, AnthropicStopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  'tool-calls': 'tool_use',
  'content-filter': 'refusal',
  error: 'end_turn',
  other: 'end_turn',
};

function isStopReason(value: string): value is AnthropicStopReason {
  return (ANTHROPIC_STOP_REASONS as readonly string[]).includes(value);
}

/** Anthropic `stop_reason` → spec finish reason. Unknown words map to `other`, keeping the raw word. */
export function decodeStopReason(raw: string | null | undefined): FinishReason {
  if (raw === null || raw === undefined) return { unified: 'other', raw: undefined };
  return { unified: isStopReason(raw) ? UNIFIED_BY_STOP_REASON[raw] : 'other', raw };
}

/**
 * Spec finish reason → Anthropic `stop_reason`. The raw word is kept when it is an Anthropic word
 * that means the same thing (so `stop_sequence` and `pause_turn` survive a round trip).
 */
export function encodeStopReason(finishReason: FinishReason): AnthropicStopReason {
  const raw = finishReason.raw;
  if (raw !== undefined && isStopReason(raw) && UNIFIED_BY_STOP_REASON[raw] === finishReason.unified) return raw;
  return STOP_REASON_BY_UNIFIED[finishReason.unified];
}
