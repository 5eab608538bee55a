import { textOf, type ContentPart, type Message } from '../../spec/index.js';

type WireMessage = Record<string, unknown>;

/**
 * Spec messages → OpenAI `messages`. Reasoning parts are dropped: OpenAI-dialect APIs reject them
 * on input (DeepSeek documents a 400 for `reasoning_content` in requests).
 */
export function encodeMessages(messages: readonly Message[]): WireMessage[] {
  return messages.map(encodeMessage);
}

function encodeMessage(message: Message): WireMessage {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: textOf(message.content) };
    case 'user':
      return { role: 'user', content: encodeUserContent(message.content), ...(message.name === undefined ? {} : { name: message.name }) };
    case 'assistant': {
      const text = textOf(message.content);
      const toolCalls = message.toolCalls ?? [];
      const wire: WireMessage = { role: 'assistant', content: text.length === 0 && toolCalls.length > 0 ? null : text };
      if (toolCalls.length > 0) {
        wire.tool_calls = toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
      }
      if (message.name !== undefined) wire.name = message.name;
      return wire;
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: textOf(message.content) };
  }
}

/** A plain string when the content is text only, the parts list otherwise (what OpenAI's own SDKs send). */
function encodeUserContent(content: readonly ContentPart[]): string | Record<string, unknown>[] {
  if (content.every((part) => part.type !== 'image' && encodeFile(part) === undefined)) return textOf(content);
  const parts: Record<string, unknown>[] = [];
  for (const part of content) {
    if (part.type === 'text') parts.push({ type: 'text', text: part.text });
    else if (part.type === 'image') {
      const url = part.url ?? `data:${part.mediaType ?? 'image/png'};base64,${part.data ?? ''}`;
      parts.push({ type: 'image_url', image_url: part.detail === undefined ? { url } : { url, detail: part.detail } });
    } else {
      const file = encodeFile(part);
      if (file !== undefined) parts.push(file);
    }
  }
  return parts;
}

/**
 * An inline PDF → OpenAI's `file` content part (https://platform.openai.com/docs/guides/pdf-files).
 * Chat Completions cannot fetch a remote file, so other file parts are skipped. OpenAI rejects
 * `file_data` without a `filename`, hence the default.
 */
function encodeFile(part: ContentPart): Record<string, unknown> | undefined {
  if (part.type !== 'file' || part.mediaType !== 'application/pdf') return undefined;
  const fileData = part.data !== undefined ? `data:${part.mediaType};base64,${part.data}` : part.url?.startsWith('data:') ? part.url : undefined;
  if (fileData === undefined) return undefined;
  return { type: 'file', file: { file_data: fileData, filename: part.filename ?? 'document.pdf' } };
}
