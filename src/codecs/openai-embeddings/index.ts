import type { EmbeddingCodec } from '../codec.js';
import { decodeEmbeddingRequest, OPENAI_EMBEDDINGS_DIALECT } from './decode-request.js';
import { decodeEmbeddingResponse } from './decode-response.js';
import { encodeEmbeddingRequest } from './encode-request.js';
import { encodeEmbeddingResponse } from './encode-response.js';

/** OpenAI embeddings (`/v1/embeddings`), inbound and outbound. */
export const openaiEmbeddingCodec: EmbeddingCodec = {
  dialect: OPENAI_EMBEDDINGS_DIALECT,
  decodeRequest: decodeEmbeddingRequest,
  encodeRequest: encodeEmbeddingRequest,
  decodeResponse: decodeEmbeddingResponse,
  encodeResponse: encodeEmbeddingResponse,
};

export { OPENAI_EMBEDDINGS_DIALECT } from './decode-request.js';
export { decodeFloat32Base64, encodeFloat32Base64 } from './float32-base64.js';
