import { z } from 'zod';
import { cohereChatCodec } from '../../codecs/cohere-chat/index.js';
import { cohereEmbeddingCodec, DEFAULT_INPUT_TYPE, encodeCohereEmbedRequest } from '../../codecs/cohere-embed/index.js';
import { cohereRerankCodec } from '../../codecs/cohere-rerank/index.js';
import type { ProviderAdapter, ProviderKey, ProviderSettings } from '../provider.js';

export const COHERE_DEFAULT_BASE_URL = 'https://api.cohere.com';

export const cohereOptionsSchema = z.strictObject({
  /** Cohere's `input_type` for embeddings (v3+ models require one); a request's own `input_type` wins. */
  input_type: z.enum(['search_document', 'search_query', 'classification', 'clustering']).default(DEFAULT_INPUT_TYPE),
});

export type CohereOptions = z.infer<typeof cohereOptionsSchema>;

/** `{base}/v2/{operation}`; a configured base already ending in `/v2` is not doubled. */
export function cohereUrl(baseUrl: string, operation: 'chat' | 'embed' | 'rerank'): string {
  const base = baseUrl.replace(/\/+$/, '');
  return base.endsWith('/v2') ? `${base}/${operation}` : `${base}/v2/${operation}`;
}

function headersFor(key: ProviderKey | undefined, settings: ProviderSettings<CohereOptions>, stream = false): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', ...settings.headers };
  if (key !== undefined) headers.authorization = `Bearer ${key.value}`;
  return headers;
}

/**
 * Cohere's v2 API (https://docs.cohere.com/reference/about): chat (`/v2/chat`, its own request,
 * response and SSE event shapes), embeddings (`/v2/embed`, float vectors) and rerank
 * (`/v2/rerank`), with the key as a bearer token.
 */
export const cohereAdapter: ProviderAdapter<CohereOptions> = {
  type: 'cohere',
  optionsSchema: cohereOptionsSchema,
  chatCodec: cohereChatCodec,
  embeddingCodec: cohereEmbeddingCodec,
  rerankCodec: cohereRerankCodec,
  defaultBaseUrl: COHERE_DEFAULT_BASE_URL,
  requiresKey: true,
  credentialHeaders: (key): Record<string, string> => (key === undefined ? {} : { authorization: `Bearer ${key.value}` }),
  buildChatRequest(request, upstreamModel, key, settings) {
    return { url: cohereUrl(settings.baseUrl, 'chat'), method: 'POST', headers: headersFor(key, settings, request.stream), body: JSON.stringify(cohereChatCodec.encodeRequest(request, upstreamModel)), framing: 'sse' };
  },
  buildEmbeddingRequest(request, upstreamModel, key, settings) {
    const body = encodeCohereEmbedRequest(request, upstreamModel, settings.options.input_type);
    return { url: cohereUrl(settings.baseUrl, 'embed'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(body) };
  },
  buildRerankRequest(request, upstreamModel, key, settings) {
    return { url: cohereUrl(settings.baseUrl, 'rerank'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(cohereRerankCodec.encodeRequest(request, upstreamModel)) };
  },
};
