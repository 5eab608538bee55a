import type { ContentPart, ToolCall } from '../../spec/index.js';
import type { GeminiPart } from './wire.js';

/** Makes tool call ids for function calls that came without one: `call_0`, `call_1`, … */
export function createCallIdSource(): () => string {
  let next = 0;
  return () => `call_${next++}`;
}

/**
 * Model parts → content and tool calls. A signature Gemini put on a text or functionCall part is
 * kept as a text-less reasoning part just before it, so the encoder can put it back in place.
 */
export function decodeModelParts(parts: readonly GeminiPart[], nextCallId: () => string): { content: ContentPart[]; toolCalls: ToolCall[] } {
  const content: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  for (const part of parts) {
    if (part.functionCall !== undefined) {
      if (part.thoughtSignature !== undefined) content.push({ type: 'reasoning', text: '', signature: part.thoughtSignature });
      const call = part.functionCall;
      toolCalls.push({ id: call.id ?? nextCallId(), name: call.name, arguments: JSON.stringify(call.args ?? {}) });
    } else if (typeof part.text === 'string') {
      if (part.thought === true) {
        content.push({ type: 'reasoning', text: part.text, ...(part.thoughtSignature !== undefined ? { signature: part.thoughtSignature } : {}) });
        continue;
      }
      if (part.thoughtSignature !== undefined) content.push({ type: 'reasoning', text: '', signature: part.thoughtSignature });
      if (part.text.length > 0) content.push({ type: 'text', text: part.text });
    } else if (part.inlineData !== undefined) {
      content.push({ type: 'image', data: part.inlineData.data, mediaType: part.inlineData.mimeType });
    } else if (part.fileData !== undefined) {
      content.push({ type: 'image', url: part.fileData.fileUri, ...(part.fileData.mimeType !== undefined ? { mediaType: part.fileData.mimeType } : {}) });
    }
  }
  return { content, toolCalls };
}
