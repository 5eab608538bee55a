import type { SpooledFile } from '../http/multipart-upload.js';
import { pickKey } from '../providers/instance.js';
import type { ImageUploadOperation, UpstreamHttpRequest } from '../providers/provider.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { GatewayError, type ImageGenerationResponse } from '../spec/index.js';
import { imageResult } from './image-attempt.js';
import type { OperationResult } from './endpoint.js';
import { sendJsonAttempt } from './json-attempt.js';
import { multipartBody } from './multipart-body.js';
import type { Target } from './target.js';

/** `POST /v1/images/edits` and `/variations`: the caller's fields and its spooled images (and mask). */
export interface ImageUploadRequest {
  operation: ImageUploadOperation;
  model: string;
  /** Every field but the files, in order, `model` included (replaced by the target's model upstream). */
  fields: Array<[string, string]>;
  /** The `image` (or `image[]`) parts and the `mask`, in the order they came. */
  files: SpooledFile[];
  /** Images asked for (`n`, default 1), with the size and quality that select a per-image price. */
  n: number;
  size: string | undefined;
  quality: string | undefined;
}

/**
 * One image edit or variation attempt: the spooled upload re-encoded as multipart (fields, then the
 * files, streamed from disk, so that a fallback sends it anew) to the adapter's endpoint; the answer
 * is an image generation's (`{created, data: [{url | b64_json}], usage?}`), decoded by the provider's
 * image codec. Priced per image made, by size and quality, or by tokens (gpt-image models). Throws GatewayError.
 */
export async function attemptImageUpload(target: Target, request: ImageUploadRequest, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<ImageGenerationResponse>> {
  const provider = target.provider;
  const adapter = provider.adapter;
  const codec = adapter.imageCodec;
  if (adapter.imageUploadTarget === undefined || codec === undefined || adapter.local !== undefined) {
    throw new GatewayError('operation_not_supported', `Provider \`${provider.name}\` (${adapter.type}) does not serve ${request.operation}.`, { param: 'model' });
  }
  const key = target.key ?? pickKey(provider, target.model);
  const { url, headers } = adapter.imageUploadTarget(request.operation, target.model, key, provider.settings);
  const fields = request.fields.map(([name, value]): [string, string] => [name, name === 'model' ? target.model : value]);
  if (!fields.some(([name]) => name === 'model')) fields.unshift(['model', target.model]);
  const body = multipartBody(fields, request.files);
  const built: UpstreamHttpRequest = { url, method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${body.boundary}`, 'content-length': String(body.length) }, stream: body.stream };
  const response = await sendJsonAttempt(target, key, built, transport, signal, (decoded) => codec.decodeResponse(decoded));
  return imageResult(key?.id, response, request);
}
