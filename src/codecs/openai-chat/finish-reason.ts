import type { FinishReason, UnifiedFinishReason } from '../../spec/index.js';

const FROM_WIRE: Record<string, UnifiedFinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  content_filter: 'content-filter',
};

const TO_WIRE: Record<UnifiedFinishReason, string> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  // OpenAI has no words for these; `stop` is what its clients handle everywhere.
  error: 'stop',
  other: 'stop',
};

export function decodeFinishReason(raw: unknown): FinishReason {
  if (typeof raw !== 'string') return { unified: 'other', raw: undefined };
  return { unified: FROM_WIRE[raw] ?? 'other', raw };
}

/** Keeps the raw word when it is OpenAI's own and agrees with the unified value (e.g. `function_call`). */
export function encodeFinishReason(reason: FinishReason): string {
  if (reason.raw !== undefined && FROM_WIRE[reason.raw] === reason.unified) return reason.raw;
  return TO_WIRE[reason.unified];
}
