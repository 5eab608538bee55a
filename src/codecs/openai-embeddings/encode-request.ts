import type { EmbeddingRequest } from '../../spec/index.js';
import { OPENAI_EMBEDDINGS_DIALECT } from './decode-request.js';

/** A spec embeddings request → the OpenAI wire body for `upstreamModel`. */
export function encodeEmbeddingRequest(request: EmbeddingRequest, upstreamModel: string): Record<string, unknown> {
  const body: Record<string, unknown> = request.extraDialect === OPENAI_EMBEDDINGS_DIALECT && request.extra !== undefined ? { ...request.extra } : {};
  body.model = upstreamModel;
  body.input = request.singleInput === true && request.input.length === 1 ? request.input[0] : request.input;
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  // Asking for base64 upstream is safe: the response decoder reads both renderings.
  if (request.encodingFormat !== undefined) body.encoding_format = request.encodingFormat;
  if (request.user !== undefined) body.user = request.user;
  return body;
}
