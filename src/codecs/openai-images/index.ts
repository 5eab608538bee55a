import { GatewayError, type GeneratedImage, type ImageGenerationRequest, type ImageGenerationResponse } from '../../spec/index.js';
import type { ImageGenerationCodec } from '../codec.js';
import { invalid, isObject, optionalInteger, optionalString, requireObject, requireString, readExtras } from '../openai-chat/read-fields.js';

export const OPENAI_IMAGES_DIALECT = 'openai-images';

const MODELED_FIELDS = new Set(['model', 'prompt', 'n', 'size', 'quality', 'response_format', 'style', 'user', 'fallbacks']);

function invalidAnswer(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', `The provider answered an image generation ${message}`, { retryable: true });
}

/**
 * OpenAI's image generation (https://platform.openai.com/docs/api-reference/images/create):
 * `POST /v1/images/generations` with `{model, prompt, n?, size?, quality?, response_format?, style?, …}`,
 * answered by `{created, data: [{url | b64_json, revised_prompt?}], usage?}` (usage in tokens for
 * gpt-image models; DALL·E is billed per image).
 */
export const openaiImageCodec: ImageGenerationCodec = {
  dialect: OPENAI_IMAGES_DIALECT,
  decodeRequest(body: unknown): ImageGenerationRequest {
    const wire = requireObject(body, 'body');
    if (wire.model === undefined || wire.model === null) throw invalid('model', '`model` is required.');
    const model = requireString(wire.model, 'model');
    if (model.length === 0) throw invalid('model', '`model` is empty.');
    if (wire.prompt === undefined || wire.prompt === null) throw invalid('prompt', '`prompt` is required.');
    const prompt = requireString(wire.prompt, 'prompt');
    if (prompt.length === 0) throw invalid('prompt', '`prompt` is empty.');
    const request: ImageGenerationRequest = { model, prompt };
    const n = optionalInteger(wire.n, 'n', 1);
    if (n !== undefined) {
      if (n > 10) throw invalid('n', '`n` must be at most 10.');
      request.n = n;
    }
    const size = optionalString(wire.size, 'size');
    if (size !== undefined) request.size = size;
    const quality = optionalString(wire.quality, 'quality');
    if (quality !== undefined) request.quality = quality;
    const format = optionalString(wire.response_format, 'response_format');
    if (format !== undefined) {
      if (format !== 'url' && format !== 'b64_json') throw invalid('response_format', '`response_format` must be `url` or `b64_json`.');
      request.responseFormat = format;
    }
    const style = optionalString(wire.style, 'style');
    if (style !== undefined) request.style = style;
    const user = optionalString(wire.user, 'user');
    if (user !== undefined) request.user = user;
    readExtras(wire, MODELED_FIELDS, OPENAI_IMAGES_DIALECT, request);
    return request;
  },
  encodeRequest(request: ImageGenerationRequest, upstreamModel: string): Record<string, unknown> {
    const body: Record<string, unknown> = { model: upstreamModel, prompt: request.prompt };
    if (request.n !== undefined) body.n = request.n;
    if (request.size !== undefined) body.size = request.size;
    if (request.quality !== undefined) body.quality = request.quality;
    if (request.responseFormat !== undefined) body.response_format = request.responseFormat;
    if (request.style !== undefined) body.style = request.style;
    if (request.user !== undefined) body.user = request.user;
    if (request.extraDialect === OPENAI_IMAGES_DIALECT) for (const [key, value] of Object.entries(request.extra ?? {})) body[key] ??= value;
    return body;
  },
  decodeResponse(body: unknown): ImageGenerationResponse {
    if (!isObject(body)) throw invalidAnswer('with something that is not an object.');
    if (!Array.isArray(body.data)) throw invalidAnswer('without `data`.');
    const images = body.data.map((entry, position): GeneratedImage => {
      if (!isObject(entry) || (typeof entry.url !== 'string' && typeof entry.b64_json !== 'string')) throw invalidAnswer(`with an image that has neither \`url\` nor \`b64_json\` (data[${position}]).`);
      const image: GeneratedImage = {};
      if (typeof entry.url === 'string') image.url = entry.url;
      if (typeof entry.b64_json === 'string') image.b64Json = entry.b64_json;
      if (typeof entry.revised_prompt === 'string') image.revisedPrompt = entry.revised_prompt;
      return image;
    });
    const usage = isObject(body.usage) ? body.usage : undefined;
    const response: ImageGenerationResponse = {
      created: typeof body.created === 'number' ? body.created : Math.floor(Date.now() / 1000),
      images,
      usage: {
        inputTokens: typeof usage?.input_tokens === 'number' ? usage.input_tokens : undefined,
        outputTokens: typeof usage?.output_tokens === 'number' ? usage.output_tokens : undefined,
      },
    };
    for (const [key, value] of Object.entries(body)) {
      if (key === 'created' || key === 'data' || key === 'usage' || value === undefined) continue;
      (response.extra ??= {})[key] = value;
    }
    return response;
  },
  encodeResponse(response: ImageGenerationResponse): unknown {
    const body: Record<string, unknown> = {
      created: response.created,
      data: response.images.map((image) => ({
        ...(image.url === undefined ? {} : { url: image.url }),
        ...(image.b64Json === undefined ? {} : { b64_json: image.b64Json }),
        ...(image.revisedPrompt === undefined ? {} : { revised_prompt: image.revisedPrompt }),
      })),
      ...response.extra,
    };
    const { inputTokens, outputTokens } = response.usage;
    if (inputTokens !== undefined || outputTokens !== undefined) body.usage = { input_tokens: inputTokens ?? 0, output_tokens: outputTokens ?? 0, total_tokens: (inputTokens ?? 0) + (outputTokens ?? 0) };
    return body;
  },
};
