import type { ContentPart, ToolCall } from '../../spec/index.js';
import { decodeDocument, decodeImage } from './media.js';
import { isRecord, stringOf } from './wire-types.js';

/**
 * The content blocks of a Converse answer (`output.message.content`) → spec parts and tool calls.
 * Blocks the spec has no place for (guard content, citations, server tool results) are skipped.
 */
export function decodeBlocks(blocks: readonly unknown[]): { content: ContentPart[]; toolCalls: ToolCall[] } {
  const content: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    if (typeof block.text === 'string') {
      content.push({ type: 'text', text: block.text });
    } else if (isRecord(block.image)) {
      const image = decodeImage(block.image);
      if (image !== undefined) content.push(image);
    } else if (isRecord(block.document)) {
      const document = decodeDocument(block.document);
      if (document !== undefined) content.push(document);
    } else if (isRecord(block.reasoningContent)) {
      const reasoning = block.reasoningContent;
      if (isRecord(reasoning.reasoningText)) {
        const signature = stringOf(reasoning.reasoningText.signature);
        content.push({ type: 'reasoning', text: stringOf(reasoning.reasoningText.text) ?? '', ...(signature === undefined || signature === '' ? {} : { signature }) });
      } else if (typeof reasoning.redactedContent === 'string') {
        content.push({ type: 'redacted-reasoning', data: reasoning.redactedContent });
      }
    } else if (isRecord(block.toolUse)) {
      const toolUse = block.toolUse;
      toolCalls.push({ id: stringOf(toolUse.toolUseId) ?? '', name: stringOf(toolUse.name) ?? '', arguments: JSON.stringify(toolUse.input ?? {}) });
    }
  }
  return { content, toolCalls };
}
