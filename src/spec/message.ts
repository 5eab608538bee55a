import type { ContentPart } from './content.js';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

/** A tool call made by the assistant. `arguments` is the JSON text exactly as the model produced it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface SystemMessage {
  role: 'system';
  content: ContentPart[];
}

export interface UserMessage {
  role: 'user';
  content: ContentPart[];
  name?: string;
}

export interface AssistantMessage {
  role: 'assistant';
  content: ContentPart[];
  toolCalls?: ToolCall[];
  name?: string;
}

/** The result of a tool call, answering the assistant's call `toolCallId`. */
export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: ContentPart[];
  /** The tool's name, when the caller's dialect carries it (Gemini needs it). */
  name?: string;
  isError?: boolean;
}

/** Concatenates the text parts of a content list. */
export function textOf(content: readonly ContentPart[]): string {
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}
