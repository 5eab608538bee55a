import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { SpooledFile } from '../http/multipart-upload.js';

/**
 * A multipart/form-data body of `fields` then `files`, the files streamed from disk, and its
 * exact length: an upload spooled by the gateway sent again to a provider (each attempt, a fallback
 * included, gets a body of its own).
 */
export function multipartBody(fields: ReadonlyArray<[string, string]>, files: readonly SpooledFile[]): { boundary: string; length: number; stream: AsyncIterable<Buffer> } {
  const boundary = `----tollgate${randomBytes(12).toString('hex')}`;
  const fieldPart = Buffer.from(fields.map(([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`).join(''));
  const heads = files.map((file) => Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${quoted(file.field)}"; filename="${quoted(file.filename)}"\r\ncontent-type: ${file.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`));
  const newline = Buffer.from('\r\n');
  const tail = Buffer.from(`--${boundary}--\r\n`);
  let length = fieldPart.length + tail.length;
  files.forEach((file, index) => (length += heads[index]!.length + file.size + newline.length));
  async function* stream(): AsyncIterable<Buffer> {
    yield fieldPart;
    for (let index = 0; index < files.length; index++) {
      yield heads[index]!;
      for await (const chunk of createReadStream(files[index]!.path, { highWaterMark: 64 * 1024 })) yield chunk as Buffer;
      yield newline;
    }
    yield tail;
  }
  return { boundary, length, stream: stream() };
}

function quoted(value: string): string {
  return value.replace(/[\r\n"]/g, (character) => encodeURIComponent(character));
}
