import type { EmbeddingResponse } from '../../spec/index.js';
import { encodeFloat32Base64 } from './float32-base64.js';

/** A spec response → OpenAI's embeddings list, base64-rendered when `encodingFormat` says so. */
export function encodeEmbeddingResponse(response: EmbeddingResponse, model: string): Record<string, unknown> {
  const base64 = response.encodingFormat === 'base64';
  const promptTokens = response.usage.inputTokens ?? 0;
  return {
    object: 'list',
    data: response.embeddings.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? encodeFloat32Base64(vector) : vector })),
    model,
    // The wire format has no "unknown"; 0 is written only here, at the edge.
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
