import { z } from 'zod';
import { encodeGeminiRequest, geminiCodec, geminiEmbeddingCodec } from '../../codecs/gemini/index.js';
import { geminiImageCodec, isImagenModel } from '../../codecs/gemini/image-codec.js';
import type { ProviderAdapter, ProviderKey, ProviderSettings } from '../provider.js';
import { countField } from '../token-count.js';
import { geminiBatchMode } from './batch-mode.js';

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** `{base}/models/{model}:{method}`; a `models/` prefix on the configured model name is not doubled. */
export function geminiModelUrl(baseUrl: string, model: string, method: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/models/${encodeURIComponent(model.replace(/^models\//, ''))}:${method}`;
}

/**
 * The key goes in `x-goog-api-key`, never in a `?key=` query parameter, so it cannot end up in a
 * logged URL (https://ai.google.dev/gemini-api/docs/api-key).
 */
function headersFor(key: ProviderKey | undefined, settings: ProviderSettings<GeminiOptions>): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...settings.headers };
  if (key !== undefined) headers['x-goog-api-key'] = key.value;
  return headers;
}

export const geminiOptionsSchema = z.strictObject({
  /** False stops sending tool call ids, for API versions that reject them. */
  function_call_ids: z.boolean().default(true),
});

export type GeminiOptions = z.infer<typeof geminiOptionsSchema>;

/**
 * Google AI Studio's Gemini API. Chat: `:generateContent`, or `:streamGenerateContent?alt=sse` for
 * an SSE stream (without `alt=sse` Google streams one JSON array instead). Embeddings:
 * `:batchEmbedContents`. OpenAI batches of chat completions: batch mode (`:batchGenerateContent`,
 * batch-mode.ts). Option `function_call_ids: false` (under `options`) stops sending tool
 * call ids, for API versions that reject them.
 */
export const geminiAdapter: ProviderAdapter<GeminiOptions> = {
  type: 'gemini',
  optionsSchema: geminiOptionsSchema,
  chatCodec: geminiCodec,
  embeddingCodec: geminiEmbeddingCodec,
  defaultBaseUrl: GEMINI_DEFAULT_BASE_URL,
  requiresKey: true,
  buildChatRequest(request, upstreamModel, key, settings) {
    const body = encodeGeminiRequest(request, { includeFunctionCallIds: settings.options.function_call_ids });
    return {
      url: request.stream ? `${geminiModelUrl(settings.baseUrl, upstreamModel, 'streamGenerateContent')}?alt=sse` : geminiModelUrl(settings.baseUrl, upstreamModel, 'generateContent'),
      method: 'POST',
      headers: headersFor(key, settings),
      body: JSON.stringify(body),
      framing: 'sse',
    };
  },
  buildEmbeddingRequest(request, upstreamModel, key, settings) {
    const wire = geminiEmbeddingCodec.encodeRequest(request, upstreamModel);
    return { url: geminiModelUrl(settings.baseUrl, upstreamModel, 'batchEmbedContents'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(wire) };
  },
  tokenCounter: {
    /** `:countTokens` with the whole generate request, so the system instruction and tools count too. */
    buildRequest(request, upstreamModel, key, settings) {
      const generate = { model: `models/${upstreamModel.replace(/^models\//, '')}`, ...encodeGeminiRequest(request, { includeFunctionCallIds: settings.options.function_call_ids }) };
      return { url: geminiModelUrl(settings.baseUrl, upstreamModel, 'countTokens'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify({ generateContentRequest: generate }) };
    },
    decodeResponse: (body) => countField(body, 'totalTokens', 'gemini'),
  },
  imageCodec: geminiImageCodec,
  // Imagen models at `:predict`, Gemini's image models at `:generateContent` (see geminiImageCodec).
  buildImageRequest(request, upstreamModel, key, settings) {
    const body = geminiImageCodec.encodeRequest(request, upstreamModel);
    return { url: geminiModelUrl(settings.baseUrl, upstreamModel, isImagenModel(upstreamModel) ? 'predict' : 'generateContent'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(body) };
  },
  chatBatches: geminiBatchMode(geminiModelUrl, headersFor),
  credentialHeaders: (key): Record<string, string> => (key === undefined ? {} : { 'x-goog-api-key': key.value }),
};
