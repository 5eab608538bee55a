import busboy from 'busboy';
import type { FakeHandlerContext } from './fake-upstream.js';

/**
 * OpenAI's image uploads, written from OpenAI's API reference: `POST /images/edits` (`prompt`,
 * `image` or `image[]` parts, an optional `mask`) and `/images/variations` (one `image`), multipart
 * bodies parsed with busboy (not with anything of ours), answered as a generation is: `n` images as
 * `b64_json` or URLs, with token `usage` for gpt-image models.
 */
export function isImageUploadPath(path: string): boolean {
  return /\/images\/(?:edits|variations)(?:\?|$)/.test(path);
}

export interface ReceivedImageUpload {
  path: string;
  fields: Array<[string, string]>;
  /** Part names in the order they came. */
  order: string[];
  files: { name: string; filename: string; mimeType: string; bytes: Buffer }[];
}

/** Uploads the image fakes received, oldest first (every fake instance in the process). */
export const receivedImageUploads: ReceivedImageUpload[] = [];

/** The image every answer carries: a one-pixel PNG. */
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export async function handleImageUpload(context: FakeHandlerContext): Promise<void> {
  const upload = await parse(context);
  receivedImageUploads.push(upload);
  const field = (name: string): string | undefined => upload.fields.find(([key]) => key === name)?.[1];
  const images = upload.files.filter((file) => file.name === 'image' || file.name === 'image[]');
  if (images.length === 0) return send(context, 400, { error: { message: "Missing required parameter: 'image'.", type: 'invalid_request_error', param: 'image', code: null } });
  if (upload.path.includes('/edits') && field('prompt') === undefined) return send(context, 400, { error: { message: "Missing required parameter: 'prompt'.", type: 'invalid_request_error', param: 'prompt', code: null } });
  const model = field('model') ?? 'dall-e-2';
  const n = Number(field('n') ?? '1');
  const b64 = field('response_format') === 'b64_json' || model.startsWith('gpt-image');
  send(context, 200, {
    created: 1_700_000_000,
    data: Array.from({ length: n }, (_, index) => (b64 ? { b64_json: PIXEL } : { url: `https://images.example/edit-${index}.png` })),
    ...(model.startsWith('gpt-image') ? { usage: { total_tokens: 1300, input_tokens: 1000, output_tokens: 300, input_tokens_details: { text_tokens: 50, image_tokens: 950 } } } : {}),
  });
}

function parse(context: FakeHandlerContext): Promise<ReceivedImageUpload> {
  return new Promise((resolve, reject) => {
    const upload: ReceivedImageUpload = { path: context.path, fields: [], order: [], files: [] };
    const parser = busboy({ headers: context.request.headers });
    parser.on('field', (name, value) => {
      upload.fields.push([name, value]);
      upload.order.push(name);
    });
    parser.on('file', (name, stream, info) => {
      upload.order.push(name);
      const parts: Buffer[] = [];
      const file = { name, filename: info.filename ?? '', mimeType: info.mimeType, bytes: Buffer.alloc(0) };
      upload.files.push(file);
      stream.on('data', (chunk: Buffer) => parts.push(chunk));
      stream.on('end', () => {
        file.bytes = Buffer.concat(parts);
      });
    });
    parser.on('close', () => resolve(upload));
    parser.on('error', reject);
    parser.end(context.raw);
  });
}

function send(context: FakeHandlerContext, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  context.response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  context.response.end(text);
}
