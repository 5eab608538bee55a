/**
 * Cohere's v2 Chat API wire types (https://docs.cohere.com/reference/chat), only the fields
 * Tollgate reads or writes.
 */

export const COHERE_CHAT_DIALECT = 'cohere-chat';

export type CohereContentBlock = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } } | { type: 'thinking'; thinking: string } | { type: 'document'; document: { data: unknown; id?: string } };

export interface CohereToolCall {
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export type CohereMessage =
  | { role: 'system'; content: string | CohereContentBlock[] }
  | { role: 'user'; content: string | CohereContentBlock[] }
  | { role: 'assistant'; content?: string | CohereContentBlock[]; tool_plan?: string; tool_calls?: CohereToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string | CohereContentBlock[] };

/** `usage` of a response or of the `message-end` event. */
export interface CohereUsage {
  /** What Cohere charges for. */
  billed_units?: { input_tokens?: number; output_tokens?: number; search_units?: number; classifications?: number; images?: number };
  /** What the model read and wrote, prompt template included. */
  tokens?: { input_tokens?: number; output_tokens?: number };
  /** Prompt tokens read from Cohere's cache, part of `tokens.input_tokens`. */
  cached_tokens?: number;
}

export interface CohereChatResponse {
  id?: string;
  finish_reason?: string;
  message?: { role?: string; content?: CohereContentBlock[]; tool_plan?: string; tool_calls?: CohereToolCall[]; citations?: unknown[] };
  usage?: CohereUsage;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
