import { pickKey } from '../providers/instance.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { GatewayError, type BilledUnits, type ImageGenerationRequest, type ImageGenerationResponse } from '../spec/index.js';
import type { OperationResult } from './endpoint.js';
import { sendJsonAttempt } from './json-attempt.js';
import type { Target } from './target.js';

/**
 * Sends one image generation attempt. The usage carries the images made, with the size and
 * quality asked for, so that they are priced per image; token usage (gpt-image models) rides along. Throws GatewayError.
 */
export async function attemptImageGeneration(target: Target, request: ImageGenerationRequest, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<ImageGenerationResponse>> {
  const provider = target.provider;
  const adapter = provider.adapter;
  if (adapter.buildImageRequest === undefined || adapter.imageCodec === undefined) {
    throw new GatewayError('operation_not_supported', `Provider \`${provider.name}\` (${adapter.type}) does not generate images.`, { param: 'model' });
  }
  const codec = adapter.imageCodec;
  const key = target.key ?? pickKey(provider, target.model);
  const response = await sendJsonAttempt(target, key, adapter.buildImageRequest(request, target.model, key, provider.settings), transport, signal, (body) => codec.decodeResponse(body));
  return imageResult(key?.id, response, request);
}

/**
 * An image answer as an attempt's result, billed per image by size and quality (as asked, else as
 * the provider says it made them): generations, edits and variations alike.
 */
export function imageResult(keyId: string | undefined, response: ImageGenerationResponse, asked: { size?: string | undefined; quality?: string | undefined }): OperationResult<ImageGenerationResponse> {
  const units: BilledUnits = { images: response.images.length };
  const size = asked.size ?? stringField(response.extra?.size);
  const quality = asked.quality ?? stringField(response.extra?.quality);
  if (size !== undefined) units.imageSize = size;
  if (quality !== undefined) units.imageQuality = quality;
  return { keyId, response, usage: { ...response.usage, units } };
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
