import { GatewayError, type FilePart, type ImagePart } from '../../spec/index.js';
import { isRecord, stringOf, type ConverseContentBlock } from './wire-types.js';

/**
 * Images and documents ↔ Converse `image` / `document` blocks
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ImageBlock.html, …/API_runtime_DocumentBlock.html).
 * Converse takes bytes (base64 in JSON) or an S3 location, never an http(s) URL.
 */

const IMAGE_FORMATS: Readonly<Record<string, string>> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };

const DOCUMENT_FORMATS: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
};

const MEDIA_TYPE_BY_DOCUMENT_FORMAT: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(DOCUMENT_FORMATS).map(([mediaType, format]) => [format, mediaType]));

function unsupported(message: string, param: string): GatewayError {
  return new GatewayError('unsupported_parameter', message, { param });
}

/** `data:<type>;base64,<data>` → its parts; undefined for any other URL. */
function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match === null ? undefined : { mediaType: match[1]!, data: match[2]! };
}

/** The `source` of an image or document: bytes, or an S3 location for `s3://` URLs. */
function sourceOf(data: string | undefined, url: string | undefined, param: string): { source: Record<string, unknown>; mediaType?: string } {
  if (data !== undefined) return { source: { bytes: data } };
  if (url !== undefined) {
    const inline = parseDataUrl(url);
    if (inline !== undefined) return { source: { bytes: inline.data }, mediaType: inline.mediaType };
    if (url.startsWith('s3://')) return { source: { s3Location: { uri: url } } };
  }
  throw unsupported('Bedrock takes images and documents as inline data or s3:// URLs, not http(s) URLs.', param);
}

export function encodeImage(part: ImagePart, param: string): ConverseContentBlock {
  const { source, mediaType } = sourceOf(part.data, part.url, param);
  const type = (mediaType ?? part.mediaType ?? '').toLowerCase();
  const format = IMAGE_FORMATS[type];
  if (format === undefined) throw unsupported(`Bedrock accepts png, jpeg, gif and webp images, not '${type || 'unknown'}'.`, param);
  return { image: { format, source } };
}

/** Document names may hold only letters, digits, single spaces, hyphens, parentheses and square brackets. */
function documentName(filename: string | undefined, index: number): string {
  const base = (filename ?? '').replace(/\.[A-Za-z0-9]+$/, '');
  const cleaned = base.replace(/[^A-Za-z0-9\s\-()[\]]+/g, '-').replace(/\s+/g, ' ').trim();
  return cleaned === '' ? `document-${index + 1}` : cleaned;
}

/** An image file goes as an image block; a document of a format Bedrock reads as a document block; `text` goes as a text document. */
export function encodeFile(part: FilePart, param: string, index: number): ConverseContentBlock {
  if (part.mediaType.startsWith('image/')) return encodeImage({ type: 'image', mediaType: part.mediaType, ...(part.data === undefined ? {} : { data: part.data }), ...(part.url === undefined ? {} : { url: part.url }) }, param);
  const format = DOCUMENT_FORMATS[part.mediaType.toLowerCase()];
  if (format === undefined) throw unsupported(`Bedrock does not read documents of type '${part.mediaType}'.`, param);
  const source = part.text !== undefined ? { text: part.text } : sourceOf(part.data, part.url, param).source;
  return { document: { format, name: documentName(part.filename, index), source } };
}

function decodeSource(source: unknown): { data?: string; url?: string; text?: string } {
  if (!isRecord(source)) return {};
  const bytes = stringOf(source.bytes);
  if (bytes !== undefined) return { data: bytes };
  if (isRecord(source.s3Location) && typeof source.s3Location.uri === 'string') return { url: source.s3Location.uri };
  const text = stringOf(source.text);
  return text === undefined ? {} : { text };
}

export function decodeImage(block: Record<string, unknown>): ImagePart | undefined {
  const format = stringOf(block.format);
  const { data, url } = decodeSource(block.source);
  if (data === undefined && url === undefined) return undefined;
  return {
    type: 'image',
    ...(data === undefined ? {} : { data }),
    ...(url === undefined ? {} : { url }),
    ...(format === undefined ? {} : { mediaType: `image/${format}` }),
  };
}

export function decodeDocument(block: Record<string, unknown>): FilePart | undefined {
  const format = stringOf(block.format) ?? 'txt';
  const source = decodeSource(block.source);
  if (source.data === undefined && source.url === undefined && source.text === undefined) return undefined;
  const name = stringOf(block.name);
  return { type: 'file', ...source, mediaType: MEDIA_TYPE_BY_DOCUMENT_FORMAT[format] ?? 'application/octet-stream', ...(name === undefined ? {} : { filename: name }) };
}
