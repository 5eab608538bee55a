import type { ChatRequest, ContentPart } from '../spec/index.js';

/**
 * Tokens an image or a binary file is counted as when estimating locally: the size of a 1,000×1,000
 * image under Anthropic's and OpenAI's published rules (about width × height / 750, and 85 + 170 per
 * 512-pixel tile). The bytes are not decoded, so the real figure may differ either way.
 */
export const ATTACHMENT_TOKENS = 1_000;

/** What a request's input holds for a tokenizer: its texts, and the attachments counted apart. */
export interface RequestText {
  /** Every text the model reads, one entry per part (system, messages, tool calls and results, tool definitions). */
  texts: string[];
  messages: number;
  attachments: number;
}

/** The texts of a request's input, as a tokenizer should see them. */
export function requestText(request: ChatRequest): RequestText {
  const texts: string[] = [];
  let attachments = 0;
  const addParts = (parts: readonly ContentPart[]): void => {
    for (const part of parts) {
      if (part.type === 'text' || part.type === 'reasoning') texts.push(part.text);
      else if (part.type === 'file' && part.text !== undefined) texts.push(part.text);
      else if (part.type === 'image' || part.type === 'file') attachments++;
    }
  };
  for (const message of request.messages) {
    addParts(message.content);
    if (message.role === 'assistant') for (const call of message.toolCalls ?? []) texts.push(call.name, call.arguments);
  }
  for (const tool of request.tools ?? []) {
    texts.push(tool.name);
    if (tool.description !== undefined) texts.push(tool.description);
    if (tool.parameters !== undefined) texts.push(JSON.stringify(tool.parameters));
  }
  return { texts, messages: request.messages.length, attachments };
}
