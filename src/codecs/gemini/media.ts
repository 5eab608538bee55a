import type { FilePart, ImagePart } from '../../spec/index.js';
import type { GeminiPart } from './wire.js';

const DATA_URI = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

const MEDIA_TYPE_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
};

/** Gemini requires a MIME type on `fileData`; guess it from the URL when the caller gave none. */
function guessMediaType(url: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  return (extension !== undefined ? MEDIA_TYPE_BY_EXTENSION[extension] : undefined) ?? 'image/jpeg';
}

/** An image → `inlineData` (inline or `data:` URI) or `fileData` (remote URL, e.g. Files API or gs://). */
export function encodeImage(image: ImagePart): GeminiPart {
  if (image.data !== undefined) return { inlineData: { mimeType: image.mediaType ?? 'image/jpeg', data: image.data } };
  const url = image.url ?? '';
  const dataUri = DATA_URI.exec(url);
  if (dataUri !== null) return { inlineData: { mimeType: dataUri[1]!, data: dataUri[2]! } };
  return { fileData: { fileUri: url, mimeType: image.mediaType ?? guessMediaType(url) } };
}

/** A file (PDF, plain text, …) → `inlineData` (base64, text, or `data:` URI) or `fileData` (remote URL). */
export function encodeFile(file: FilePart): GeminiPart {
  if (file.data !== undefined) return { inlineData: { mimeType: file.mediaType, data: file.data } };
  if (file.text !== undefined) return { inlineData: { mimeType: file.mediaType, data: Buffer.from(file.text, 'utf8').toString('base64') } };
  const url = file.url ?? '';
  const dataUri = DATA_URI.exec(url);
  if (dataUri !== null) return { inlineData: { mimeType: dataUri[1]!, data: dataUri[2]! } };
  return { fileData: { fileUri: url, mimeType: file.mediaType } };
}
