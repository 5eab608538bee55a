import type { FinishReason, UnifiedFinishReason } from '../../spec/index.js';
import { CONVERSE_STOP_REASONS, type ConverseStopReason } from './wire-types.js';

const UNIFIED_BY_STOP_REASON: Record<ConverseStopReason, UnifiedFinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool-calls',
  guardrail_intervened: 'content-filter',
  content_filtered: 'content-filter',
  malformed_model_output: 'error',
  malformed_tool_use: 'error',
};

function isStopReason(value: string): value is ConverseStopReason {
  return (CONVERSE_STOP_REASONS as readonly string[]).includes(value);
}

/** Converse `stopReason` → spec finish reason; unknown words map to `other`, keeping the raw word. */
export function decodeStopReason(raw: unknown): FinishReason {
  if (typeof raw !== 'string') return { unified: 'other', raw: undefined };
  return { unified: isStopReason(raw) ? UNIFIED_BY_STOP_REASON[raw] : 'other', raw };
}
