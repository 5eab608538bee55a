import { GatewayError, type GeneratedImage, type ImageGenerationRequest, type ImageGenerationResponse } from '../../spec/index.js';
import type { ImageGenerationCodec } from '../codec.js';
import { decodeUsage } from './usage.js';
import type { GeminiUsageMetadata } from './wire.js';

export const GEMINI_IMAGES_DIALECT = 'gemini-images';

type Json = Record<string, unknown>;

/** Imagen models answer `:predict`; Gemini's image models (`gemini-2.5-flash-image`, …) answer `:generateContent`. */
export function isImagenModel(model: string): boolean {
  return /^(?:models\/)?imagen-/i.test(model);
}

/** The aspect ratios Imagen and Gemini's image models take. */
const ASPECT_RATIOS: readonly [string, number][] = [
  ['1:1', 1],
  ['3:4', 3 / 4],
  ['4:3', 4 / 3],
  ['9:16', 9 / 16],
  ['16:9', 16 / 9],
];

/** OpenAI's `size` (`1792x1024`) as the nearest aspect ratio Google takes; undefined for `auto` or none. */
export function aspectRatioOf(size: string | undefined): string | undefined {
  const match = size === undefined ? null : /^(\d+)x(\d+)$/.exec(size);
  if (match === null) return undefined;
  const ratio = Number(match[1]) / Number(match[2]);
  let best = ASPECT_RATIOS[0]!;
  for (const candidate of ASPECT_RATIOS) if (Math.abs(Math.log(candidate[1] / ratio)) < Math.abs(Math.log(best[1] / ratio))) best = candidate;
  return best[0];
}

function invalidAnswer(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `Gemini answered an image generation ${message}`, { retryable: true });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * OpenAI's image generation translated to Google's (https://ai.google.dev/gemini-api/docs/imagen,
 * https://ai.google.dev/gemini-api/docs/image-generation): Imagen's `:predict` with
 * `{instances: [{prompt}], parameters: {sampleCount, aspectRatio}}` answered by
 * `{predictions: [{bytesBase64Encoded, mimeType}]}` (billed per image), and Gemini's image models'
 * `:generateContent` with `responseModalities: ['TEXT', 'IMAGE']`, answered by candidates whose parts
 * carry `inlineData` images (billed per token, `usageMetadata`). Google answers base64 only, so every
 * image comes back as `b64_json`, whatever `response_format` asked. Only the provider half is used:
 * no surface speaks it (`decodeRequest` reads a `:predict` body).
 */
export const geminiImageCodec: ImageGenerationCodec = {
  dialect: GEMINI_IMAGES_DIALECT,
  decodeRequest(body: unknown): ImageGenerationRequest {
    const instance = isObject(body) && Array.isArray(body.instances) && isObject(body.instances[0]) ? body.instances[0] : undefined;
    if (instance === undefined || typeof instance.prompt !== 'string') throw new GatewayError('invalid_request', '`instances[0].prompt` is required.', { param: 'instances' });
    const parameters = isObject(body) && isObject(body.parameters) ? body.parameters : {};
    return { model: typeof (body as Json).model === 'string' ? ((body as Json).model as string) : '', prompt: instance.prompt, ...(typeof parameters.sampleCount === 'number' ? { n: parameters.sampleCount } : {}) };
  },
  encodeRequest(request: ImageGenerationRequest, upstreamModel: string): Record<string, unknown> {
    const aspectRatio = aspectRatioOf(request.size);
    if (isImagenModel(upstreamModel)) {
      const parameters: Json = { sampleCount: request.n ?? 1 };
      if (aspectRatio !== undefined) parameters.aspectRatio = aspectRatio;
      return { instances: [{ prompt: request.prompt }], parameters };
    }
    const generationConfig: Json = { responseModalities: ['TEXT', 'IMAGE'] };
    if ((request.n ?? 1) > 1) generationConfig.candidateCount = request.n;
    if (aspectRatio !== undefined) generationConfig.imageConfig = { aspectRatio };
    return { contents: [{ role: 'user', parts: [{ text: request.prompt }] }], generationConfig };
  },
  decodeResponse(body: unknown): ImageGenerationResponse {
    if (!isObject(body)) throw invalidAnswer('with something that is not an object.');
    const created = Math.floor(Date.now() / 1000);
    if (Array.isArray(body.predictions)) {
      const images = body.predictions.filter(isObject).flatMap((prediction): GeneratedImage[] => (typeof prediction.bytesBase64Encoded === 'string' ? [{ b64Json: prediction.bytesBase64Encoded }] : []));
      // Imagen leaves out images its safety filters removed; none left is an answer without images, not an error.
      return { created, images, usage: { inputTokens: undefined, outputTokens: undefined } };
    }
    if (!Array.isArray(body.candidates)) throw invalidAnswer('with neither `predictions` nor `candidates`.');
    const images: GeneratedImage[] = [];
    const texts: string[] = [];
    for (const candidate of body.candidates.filter(isObject)) {
      const parts = isObject(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts.filter(isObject) : [];
      for (const part of parts) {
        const inline = isObject(part.inlineData) ? part.inlineData : isObject(part.inline_data) ? part.inline_data : undefined;
        if (inline !== undefined && typeof inline.data === 'string') images.push({ b64Json: inline.data });
        else if (typeof part.text === 'string' && part.thought !== true) texts.push(part.text);
      }
    }
    // The model's words beside the image, as DALL·E 3's `revised_prompt` carries its own.
    if (images.length > 0 && texts.join('').trim().length > 0) images[0]!.revisedPrompt = texts.join('').trim();
    return { created, images, usage: decodeUsage(isObject(body.usageMetadata) ? (body.usageMetadata as GeminiUsageMetadata) : undefined) };
  },
  encodeResponse(response: ImageGenerationResponse): unknown {
    return { predictions: response.images.map((image) => ({ bytesBase64Encoded: image.b64Json ?? '', mimeType: 'image/png' })) };
  },
};
