import type { ContentPart, ToolCall } from '../../spec/index.js';
import { bedrockCachePointOptions } from './cache-point.js';
import { decodeDocument, decodeImage } from './media.js';
import { isRecord, stringOf } from './wire-types.js';

export interface DecodedBlocks {
  content: ContentPart[];
  toolCalls: ToolCall[];
  /** `toolResult` blocks, in order (user turns only). */
  toolResults: { toolUseId: string; content: ContentPart[]; isError: boolean }[];
}

/** Tool result content: `text`, `json` (kept as JSON text), images and documents. */
function decodeToolResultContent(content: unknown): ContentPart[] {
  const parts: ContentPart[] = [];
  for (const block of Array.isArray(content) ? content : []) {
    if (!isRecord(block)) continue;
    if (typeof block.text === 'string') parts.push({ type: 'text', text: block.text });
    else if (block.json !== undefined) parts.push({ type: 'text', text: JSON.stringify(block.json) });
    else if (isRecord(block.image)) {
      const image = decodeImage(block.image, undefined);
      if (image !== undefined) parts.push(image);
    } else if (isRecord(block.document)) {
      const document = decodeDocument(block.document);
      if (document !== undefined) parts.push(document);
    }
  }
  return parts;
}

/**
 * Converse content blocks → spec parts. A `cachePoint` block marks the part before it
 * (`providerOptions.bedrock.cachePoint`); blocks the spec has no place for (guard content,
 * citations, server tool results) are skipped.
 */
export function decodeBlocks(blocks: readonly unknown[]): DecodedBlocks {
  const decoded: DecodedBlocks = { content: [], toolCalls: [], toolResults: [] };
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    if (typeof block.text === 'string') {
      decoded.content.push({ type: 'text', text: block.text });
    } else if (isRecord(block.image)) {
      const image = decodeImage(block.image, undefined);
      if (image !== undefined) decoded.content.push(image);
    } else if (isRecord(block.document)) {
      const document = decodeDocument(block.document);
      if (document !== undefined) decoded.content.push(document);
    } else if (isRecord(block.reasoningContent)) {
      const reasoning = block.reasoningContent;
      if (isRecord(reasoning.reasoningText)) {
        const signature = stringOf(reasoning.reasoningText.signature);
        decoded.content.push({ type: 'reasoning', text: stringOf(reasoning.reasoningText.text) ?? '', ...(signature === undefined || signature === '' ? {} : { signature }) });
      } else if (typeof reasoning.redactedContent === 'string') {
        decoded.content.push({ type: 'redacted-reasoning', data: reasoning.redactedContent });
      }
    } else if (isRecord(block.toolUse)) {
      const toolUse = block.toolUse;
      decoded.toolCalls.push({ id: stringOf(toolUse.toolUseId) ?? '', name: stringOf(toolUse.name) ?? '', arguments: JSON.stringify(toolUse.input ?? {}) });
    } else if (isRecord(block.toolResult)) {
      const result = block.toolResult;
      decoded.toolResults.push({ toolUseId: stringOf(result.toolUseId) ?? '', content: decodeToolResultContent(result.content), isError: result.status === 'error' });
    } else if (isRecord(block.cachePoint)) {
      const previous = decoded.content[decoded.content.length - 1];
      if (previous !== undefined) previous.providerOptions = { ...previous.providerOptions, ...bedrockCachePointOptions(block.cachePoint) };
    }
  }
  return decoded;
}
