import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { openaiImageCodec } from '../codecs/openai-images/index.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { readMultipartUpload, type MultipartLimits, type MultipartUpload } from '../http/multipart-upload.js';
import { sendError, sendJson } from '../http/respond.js';
import type { RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import { estimateTextTokens } from '../pipeline/estimate-tokens.js';
import { attemptImageUpload, type ImageUploadRequest } from '../pipeline/image-upload-attempt.js';
import type { ImageUploadOperation } from '../providers/provider.js';
import { GatewayError, type ImageGenerationResponse } from '../spec/index.js';
import { responseHeaders } from './response-headers.js';
import type { SurfaceDependencies } from './surface.js';

const PREFIXES = ['/v1', '/openai/v1'];
/** The model of a request that names none: OpenAI's own default for edits and variations. */
export const DEFAULT_IMAGE_UPLOAD_MODEL = 'dall-e-2';
/** gpt-image models take up to 16 images; one more part for the mask. */
const MAX_EDIT_IMAGES = 16;
/** OpenAI's bound on an edit's `prompt` (gpt-image models; DALL·E 2 takes 1,000). */
const MAX_PROMPT = 32_000;

export interface ImageUploadSurfaceDependencies extends SurfaceDependencies {
  /** `images.max_upload_bytes` and `server.body_idle_timeout_ms`. */
  upload: Pick<MultipartLimits, 'maxBytes' | 'idleTimeoutMs'>;
}

/**
 * OpenAI's image uploads under /v1 and /openai/v1: `images/edits` (a prompt, one or more images and
 * an optional mask) and `images/variations` (one image), multipart bodies parsed as they arrive
 * (busboy) with each image spooled to a temporary file, then streamed from disk to the provider.
 * Answered as an image generation is; priced per image made, or by tokens.
 */
export function openaiImageUploadRoutes({ pipeline, upload }: ImageUploadSurfaceDependencies): HttpRoute[] {
  const endpoint = (operation: ImageUploadOperation): OperationEndpoint<ImageUploadRequest, ImageGenerationResponse> => {
    const limits: MultipartLimits = { ...upload, maxFiles: operation === 'images/edits' ? MAX_EDIT_IMAGES + 1 : 1, setting: 'images.max_upload_bytes', carries: 'image' };
    return {
      surface: 'openai',
      operation: operation === 'images/edits' ? 'images.edits' : 'images.variations',
      readsBody: false,
      decode: async (_body, exchange) => decodeImageUpload(operation, await readMultipartUpload(exchange, limits)),
      model: (request) => request.model,
      inputTokens: (request) => estimateTextTokens([request.fields.find(([name]) => name === 'prompt')?.[1] ?? '']),
      units: (request) => ({ images: request.n, ...(request.size === undefined ? {} : { imageSize: request.size }), ...(request.quality === undefined ? {} : { imageQuality: request.quality }) }),
      attempt: attemptImageUpload,
      send: (exchange, context, response) => sendJson(exchange.response, 200, openaiImageCodec.encodeResponse(response), responseHeaders(context)),
      sendError: sendOpenAIError,
    };
  };
  const edits = pipeline.operationHandler(endpoint('images/edits'));
  const variations = pipeline.operationHandler(endpoint('images/variations'));
  return PREFIXES.flatMap((prefix): HttpRoute[] => [
    { method: 'POST', path: `${prefix}/images/edits`, handler: edits, renderError: encodeOpenAIError, ownsHeaders: true },
    { method: 'POST', path: `${prefix}/images/variations`, handler: variations, renderError: encodeOpenAIError, ownsHeaders: true },
  ]);
}

/** Reads the upload's fields into a request; the files go on as they came (`image`, `image[]`, `mask`). Throws `invalid_request` naming the field. */
export function decodeImageUpload(operation: ImageUploadOperation, upload: MultipartUpload): ImageUploadRequest {
  const field = (name: string): string | undefined => upload.fields.find(([key]) => key === name)?.[1];
  const images = upload.files.filter((file) => file.field === 'image' || file.field === 'image[]');
  const others = upload.files.filter((file) => file.field !== 'image' && file.field !== 'image[]' && !(operation === 'images/edits' && file.field === 'mask'));
  if (others.length > 0) throw new GatewayError('invalid_request', `Unexpected file part \`${others[0]!.field.slice(0, 100)}\`: send the images as \`image\`${operation === 'images/edits' ? ' (or `image[]`) and the mask as `mask`' : ''}.`, { param: others[0]!.field.slice(0, 100) });
  if (images.length === 0) throw new GatewayError('invalid_request', 'The upload needs the image in an `image` part.', { param: 'image' });
  if (operation === 'images/variations' && images.length > 1) throw new GatewayError('invalid_request', 'A variation takes one image.', { param: 'image' });
  for (const file of upload.files) if (file.size === 0) throw new GatewayError('invalid_request', `The \`${file.field}\` part is empty.`, { param: file.field });
  if (operation === 'images/edits') {
    const prompt = field('prompt');
    if (prompt === undefined || prompt.length === 0) throw new GatewayError('invalid_request', 'An edit needs a `prompt` field.', { param: 'prompt' });
    if (prompt.length > MAX_PROMPT) throw new GatewayError('invalid_request', `\`prompt\` may be at most ${MAX_PROMPT} characters.`, { param: 'prompt' });
  }
  const model = field('model');
  if (model !== undefined && model.length === 0) throw new GatewayError('invalid_request', '`model` is empty.', { param: 'model' });
  const nText = field('n');
  const n = nText === undefined ? 1 : Number(nText);
  if (!Number.isInteger(n) || n < 1 || n > 10) throw new GatewayError('invalid_request', '`n` must be an integer from 1 to 10.', { param: 'n' });
  const format = field('response_format');
  if (format !== undefined && format !== 'url' && format !== 'b64_json') throw new GatewayError('invalid_request', '`response_format` must be `url` or `b64_json`.', { param: 'response_format' });
  return { operation, model: model ?? DEFAULT_IMAGE_UPLOAD_MODEL, fields: upload.fields, files: upload.files, n, size: field('size'), quality: field('quality') };
}

function sendOpenAIError(exchange: HttpExchange, context: RequestContext, error: GatewayError): void {
  sendError(exchange.response, error, encodeOpenAIError, responseHeaders(context));
}
