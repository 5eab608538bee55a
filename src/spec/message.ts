import type { ContentPart, ProviderOptions } from './content.js';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

/** A tool call made by the assistant. `arguments` is the JSON text exactly as the model produced it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
  /** Provider-specific settings for this call (e.g. a cache breakpoint on Anthropic's `tool_use` block); see ProviderOptions. */
  providerOptions?: ProviderOptions;
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface SystemMessage {
  role: 'system';
  content: ContentPart[];
  /**
   * Provider-specific settings for the message as a whole; see ProviderOptions. A codec applies
   * them where its wire format puts them: Anthropic puts `anthropic.cacheControl` on the message's
   * last block (for a tool message, its `tool_result` block).
   * @example { anthropic: { cacheControl: { type: 'ephemeral' } } }
   */
  providerOptions?: ProviderOptions;
}

export interface UserMessage {
  role: 'user';
  content: ContentPart[];
  name?: string;
  /** Provider-specific settings for the message as a whole; see SystemMessage.providerOptions. */
  providerOptions?: ProviderOptions;
}

export interface AssistantMessage {
  role: 'assistant';
  content: ContentPart[];
  toolCalls?: ToolCall[];
  name?: string;
  /** Provider-specific settings for the message as a whole; see SystemMessage.providerOptions. */
  providerOptions?: ProviderOptions;
}

/** The result of a tool call, answering the assistant's call `toolCallId`. */
export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: ContentPart[];
  /** The tool's name, when the caller's dialect carries it (Gemini needs it). */
  name?: string;
  isError?: boolean;
  /** Provider-specific settings for the message as a whole; see SystemMessage.providerOptions. */
  providerOptions?: ProviderOptions;
}

/** Concatenates the text parts of a content list. */
export function textOf(content: readonly ContentPart[]): string {
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}
