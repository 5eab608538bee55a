import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import busboy from 'busboy';
import { GatewayError } from '../spec/index.js';
import { discardBody } from './discard-body.js';
import type { HttpExchange } from './http-route.js';

/** The one file of a multipart upload, spooled to a temporary file. */
export interface SpooledFile {
  /** The form field that carried it (`file`). */
  field: string;
  filename: string;
  contentType: string;
  /** Where its bytes are; removed once the exchange's response closes. */
  path: string;
  size: number;
}

export interface MultipartUpload {
  /** The text fields, in the order they came (a name may repeat: `timestamp_granularities[]`). */
  fields: Array<[string, string]>;
  file: SpooledFile | undefined;
}

export interface MultipartLimits {
  /** Largest upload, file and fields together (`audio.max_upload_bytes`). */
  maxBytes: number;
  /** The config key of `maxBytes`, named in the refusal; default `audio.max_upload_bytes`. */
  setting?: string;
  /** What the file part holds, in messages; default `the audio`. */
  what?: string;
  /** Longest silence between two chunks (`server.body_idle_timeout_ms`). */
  idleTimeoutMs: number;
}

const MAX_FIELDS = 64;
const MAX_FIELD_BYTES = 64 * 1024;
const CLOSE = { connection: 'close' };

/**
 * Reads a `multipart/form-data` body with busboy, streaming its one file part to a temporary file
 * (under `os.tmpdir()`, removed when the exchange's response closes) rather than into memory: the
 * official SDKs send the file before the `model` field, so the model (which decides where the upload
 * goes) is only known once the whole body is read, and the spooled file can be sent again to a
 * fallback. Throws GatewayError: `unsupported_media_type`, `body_too_large` (past `maxBytes`),
 * `invalid_request` (a malformed body, several files, too many or too long fields),
 * `request_timeout`, `client_disconnected`.
 */
export async function readMultipartUpload(exchange: HttpExchange, limits: MultipartLimits): Promise<MultipartUpload> {
  const request = exchange.request;
  const type = request.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) throw new GatewayError('unsupported_media_type', `The body must be \`multipart/form-data\` with ${limits.what ?? 'the audio'} in a \`file\` part.`);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) await refuse(exchange, limits, `The upload is ${declared} bytes; this gateway takes at most ${limits.maxBytes} (${limits.setting ?? 'audio.max_upload_bytes'}).`);

  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: request.headers, limits: { fileSize: limits.maxBytes, files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, parts: MAX_FIELDS + 1 } });
  } catch (error) {
    throw new GatewayError('invalid_request', `The multipart body cannot be read: ${(error as Error).message}.`);
  }
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-upload-'));
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    void rm(directory, { recursive: true, force: true }).catch(() => {});
  };
  exchange.response.once('close', remove);

  const upload: MultipartUpload = { fields: [], file: undefined };
  let received = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      let writing: Promise<void> | undefined;
      let idle: NodeJS.Timeout | undefined;
      const fail = (error: GatewayError): void => {
        if (settled) return;
        settled = true;
        finish();
        request.unpipe(parser);
        parser.removeAllListeners();
        parser.on('error', () => {});
        reject(error);
      };
      const finish = (): void => {
        clearTimeout(idle);
        exchange.signal.removeEventListener('abort', onAbort);
        request.off('data', onData);
      };
      const onAbort = (): void => fail(exchange.signal.reason as GatewayError);
      const armIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => fail(new GatewayError('request_timeout', `The upload stalled for ${limits.idleTimeoutMs} ms.`, { headers: CLOSE })), limits.idleTimeoutMs);
      };
      const onData = (chunk: Buffer): void => {
        received += chunk.length;
        armIdle();
        if (received > limits.maxBytes) fail(tooLarge(limits));
      };
      if (exchange.signal.aborted) return onAbort();
      exchange.signal.addEventListener('abort', onAbort, { once: true });
      request.on('data', onData);
      armIdle();

      parser.on('field', (name, value, info) => {
        if (info.valueTruncated) return fail(new GatewayError('invalid_request', `The field \`${name.slice(0, 100)}\` is longer than ${MAX_FIELD_BYTES} bytes.`, { param: name.slice(0, 100) }));
        upload.fields.push([name, value]);
      });
      parser.on('file', (name, stream, info) => {
        if (upload.file !== undefined) {
          stream.resume();
          return fail(new GatewayError('invalid_request', `The upload carries more than one file; send ${limits.what ?? 'the audio'} in one \`file\` part.`, { param: 'file' }));
        }
        const file: SpooledFile = { field: name, filename: info.filename ?? (limits.what === undefined ? 'audio' : 'upload'), contentType: info.mimeType || 'application/octet-stream', path: join(directory, 'upload'), size: 0 };
        upload.file = file;
        const sink = createWriteStream(file.path);
        stream.on('data', (chunk: Buffer) => {
          file.size += chunk.length;
        });
        stream.on('limit', () => fail(tooLarge(limits)));
        // A body cut short inside the file part fails the part's stream too; unheard, that error would crash the process.
        stream.on('error', (error: Error) => {
          sink.destroy();
          fail(new GatewayError('invalid_request', `The multipart body cannot be read: ${error.message}.`));
        });
        writing = new Promise<void>((done, broke) => {
          sink.on('finish', done);
          sink.on('error', (error: Error) => {
            broke(error);
            fail(new GatewayError('internal_error', `The upload could not be spooled: ${error.message}.`));
          });
        });
        writing.catch(() => {});
        stream.pipe(sink);
      });
      parser.on('filesLimit', () => fail(new GatewayError('invalid_request', `The upload carries more than one file; send ${limits.what ?? 'the audio'} in one \`file\` part.`, { param: 'file' })));
      parser.on('fieldsLimit', () => fail(new GatewayError('invalid_request', `The upload carries more than ${MAX_FIELDS} fields.`)));
      parser.on('partsLimit', () => fail(new GatewayError('invalid_request', `The upload carries more than ${MAX_FIELDS + 1} parts.`)));
      parser.on('error', (error: Error) => fail(new GatewayError('invalid_request', `The multipart body cannot be read: ${error.message}.`)));
      parser.on('close', () => {
        if (settled) return;
        (writing ?? Promise.resolve()).then(
          () => {
            if (settled) return;
            settled = true;
            finish();
            resolve();
          },
          (error: Error) => fail(new GatewayError('internal_error', `The upload could not be spooled: ${error.message}.`)),
        );
      });
      request.pipe(parser);
    });
  } catch (error) {
    remove();
    if (GatewayError.is(error) && error.code === 'body_too_large') await refuse(exchange, limits, error.message, received);
    throw error;
  }
  return upload;
}

function tooLarge(limits: MultipartLimits): GatewayError {
  return new GatewayError('body_too_large', `The upload exceeds ${limits.maxBytes} bytes (${limits.setting ?? 'audio.max_upload_bytes'}).`, { headers: CLOSE });
}

/** Reads and drops the rest of an oversized upload (so that SDKs writing it all see the answer), then refuses it. */
async function refuse(exchange: HttpExchange, limits: MultipartLimits, message: string, alreadyRead = 0): Promise<never> {
  exchange.request.resume();
  await discardBody(exchange.request, { idleTimeoutMs: limits.idleTimeoutMs, signal: exchange.signal, alreadyRead });
  throw new GatewayError('body_too_large', message, { headers: CLOSE });
}
