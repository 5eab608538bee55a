import { GatewayError, type EmbeddingResponse } from '../../spec/index.js';
import { isObject, numberOrUndefined, stringOrUndefined } from '../openai-chat/read-fields.js';
import { decodeFloat32Base64 } from './float32-base64.js';

/** An upstream `{object:'list', data:[…]}` body → spec response, vectors in `index` order. */
export function decodeEmbeddingResponse(body: unknown): EmbeddingResponse {
  if (!isObject(body) || !Array.isArray(body.data)) {
    throw new GatewayError('upstream_invalid_response', 'The upstream answer is not an embeddings list (no `data`).', { retryable: true });
  }
  let base64 = false;
  const items = body.data.map((item, position) => {
    const entry = isObject(item) ? item : {};
    const embedding = entry.embedding;
    let vector: number[];
    if (typeof embedding === 'string') {
      base64 = true;
      vector = decodeFloat32Base64(embedding);
    } else if (Array.isArray(embedding) && embedding.every((value) => typeof value === 'number')) {
      vector = embedding as number[];
    } else {
      throw new GatewayError('upstream_invalid_response', `The upstream's embedding ${position} is neither a list of numbers nor base64.`, { retryable: true });
    }
    return { index: numberOrUndefined(entry.index) ?? position, vector };
  });
  items.sort((left, right) => left.index - right.index);
  const usage = isObject(body.usage) ? body.usage : {};
  const response: EmbeddingResponse = {
    model: stringOrUndefined(body.model) ?? '',
    embeddings: items.map((item) => item.vector),
    // Embeddings have no output (0, known, so the request is priced); prompt tokens are the input.
    usage: embeddingUsage(numberOrUndefined(usage.prompt_tokens) ?? numberOrUndefined(usage.total_tokens)),
  };
  if (base64) response.encodingFormat = 'base64';
  return response;
}

/** An embedding's usage: its input, and no output once the input is known (unknown stays unknown). */
export function embeddingUsage(inputTokens: number | undefined): { inputTokens: number | undefined; outputTokens: number | undefined } {
  return { inputTokens, outputTokens: inputTokens === undefined ? undefined : 0 };
}
