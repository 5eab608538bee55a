import type { FilePart } from '../../spec/index.js';
import { anthropicOptions, anthropicOptionsOf, decodeCacheControl, withCacheControl } from './cache-control.js';
import { isRecord, type AnthropicDocumentBlock } from './wire-types.js';
import { optionalString, requireRecord, requireString, unsupportedType } from './validate.js';

/**
 * Anthropic `document` blocks ↔ spec file parts (https://docs.anthropic.com/en/docs/build-with-claude/pdf-support,
 * https://docs.anthropic.com/en/docs/build-with-claude/citations). `title`, `context`, `citations`
 * and `cache_control` travel in `providerOptions.anthropic`; the title doubles as the file name,
 * which OpenAI needs for file inputs.
 */

/** URL sources are PDFs: Anthropic fetches nothing else. */
const PDF = 'application/pdf';
const PLAIN_TEXT = 'text/plain';

function decodeSource(block: Record<string, unknown>, param: string): Pick<FilePart, 'data' | 'url' | 'text' | 'mediaType'> {
  const source = requireRecord(block.source, `${param}.source`);
  switch (source.type) {
    case 'base64':
      return { data: requireString(source.data, `${param}.source.data`), mediaType: requireString(source.media_type, `${param}.source.media_type`) };
    case 'url':
      return { url: requireString(source.url, `${param}.source.url`), mediaType: PDF };
    case 'text':
      return { text: requireString(source.data, `${param}.source.data`), mediaType: optionalString(source.media_type, `${param}.source.media_type`) ?? PLAIN_TEXT };
    default:
      throw unsupportedType(source.type, `${param}.source.type`, (type) => `Tollgate supports document sources 'base64', 'url' and 'text', not ${type}.`);
  }
}

export function decodeDocument(block: Record<string, unknown>, param: string): FilePart {
  const title = optionalString(block.title, `${param}.title`);
  const context = optionalString(block.context, `${param}.context`);
  const citations = block.citations === undefined || block.citations === null ? undefined : requireRecord(block.citations, `${param}.citations`);
  const part: FilePart = { type: 'file', ...decodeSource(block, param) };
  if (title !== undefined) part.filename = title;
  const providerOptions = anthropicOptions({ title, context, citations, cacheControl: decodeCacheControl(block, param) });
  if (providerOptions !== undefined) part.providerOptions = providerOptions;
  return part;
}

/** Splits a `data:` URL into media type and base64 data. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  return match === null ? undefined : { mediaType: match[1]!, data: match[2]! };
}

function documentSource(part: FilePart): AnthropicDocumentBlock['source'] | undefined {
  if (part.text !== undefined) return { type: 'text', media_type: PLAIN_TEXT, data: part.text };
  const inline = part.data !== undefined ? { mediaType: part.mediaType, data: part.data } : part.url === undefined ? undefined : parseDataUrl(part.url);
  if (inline !== undefined) {
    if (inline.mediaType === PDF) return { type: 'base64', media_type: PDF, data: inline.data };
    if (inline.mediaType.startsWith('text/')) return { type: 'text', media_type: PLAIN_TEXT, data: Buffer.from(inline.data, 'base64').toString('utf8') };
    return undefined;
  }
  if (part.url !== undefined && part.mediaType === PDF) return { type: 'url', url: part.url };
  return undefined;
}

/**
 * A file part → a `document` block: a PDF by data or URL, text of any `text/*` type as plain text.
 * Undefined for what Anthropic documents cannot hold (audio, video, remote text files, …).
 */
export function encodeDocument(part: FilePart): AnthropicDocumentBlock | undefined {
  const source = documentSource(part);
  if (source === undefined) return undefined;
  const options = anthropicOptionsOf(part.providerOptions);
  const block: AnthropicDocumentBlock = { type: 'document', source };
  const title = typeof options.title === 'string' ? options.title : part.filename;
  if (title !== undefined) block.title = title;
  if (typeof options.context === 'string') block.context = options.context;
  if (isRecord(options.citations)) block.citations = options.citations;
  return withCacheControl(block, part.providerOptions);
}
