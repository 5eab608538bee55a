/**
 * The parts of Anthropic's Messages API wire format this codec reads and writes, named as on the
 * wire. Reference: https://docs.anthropic.com/en/api/messages and the streaming guide
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming.
 */

export const ANTHROPIC_DIALECT = 'anthropic-messages';

/**
 * A prompt-caching breakpoint, kept as the caller sent it (`{ type: 'ephemeral', ttl?: '5m' | '1h' }`).
 * Allowed on tool definitions, system text blocks and message blocks other than thinking; at most
 * four per request (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching).
 */
export type AnthropicCacheControl = Record<string, unknown>;

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
  cache_control?: AnthropicCacheControl;
}

/** A document: a PDF (base64 or URL) or plain text (https://docs.anthropic.com/en/docs/build-with-claude/pdf-support, .../citations). */
export interface AnthropicDocumentBlock {
  type: 'document';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } | { type: 'text'; media_type: string; data: string };
  title?: string;
  context?: string;
  citations?: Record<string, unknown>;
  cache_control?: AnthropicCacheControl;
}

/** What user turns and tool results carry besides tool results. */
export type AnthropicUserContentBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock;

export interface AnthropicThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: AnthropicUserContentBlock[];
  is_error?: boolean;
  cache_control?: AnthropicCacheControl;
}

export type AnthropicContentBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock;

/** The blocks that may carry `cache_control` (thinking blocks may not). */
export type AnthropicCacheableBlock = Exclude<AnthropicContentBlock, AnthropicThinkingBlock | AnthropicRedactedThinkingBlock>;

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicContentBlock[];
}

/** `usage` of a response, of `message_start` and (cumulative, fields omitted or null when unchanged) of `message_delta`. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

export const ANTHROPIC_STOP_REASONS = ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded'] as const;
export type AnthropicStopReason = (typeof ANTHROPIC_STOP_REASONS)[number];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
