import { PARALLEL_TOOL_CALLS, USER } from '../dropped-fields.js';
import type { ChatCodec } from '../codec.js';
import { decodeGeminiRequest } from './decode-request.js';
import { decodeGeminiResponse } from './decode-response.js';
import { encodeGeminiRequest } from './encode-request.js';
import { encodeGeminiResponse } from './encode-response.js';
import { encodeGeminiError, readGeminiError } from './error.js';
import { GeminiStreamDecoder } from './stream-decoder.js';
import { GeminiStreamEncoder } from './stream-encoder.js';

/**
 * Google's Gemini `generateContent` wire format (Google AI Studio, `v1beta`), both directions.
 * The model travels in the URL: `encodeRequest` leaves it out of the body, and `decodeRequest`
 * reads the `model` (and `stream`) the surface injects into the body.
 */
export const geminiCodec: ChatCodec = {
  droppedFields: [USER, PARALLEL_TOOL_CALLS],
  dialect: 'gemini',
  decodeRequest: decodeGeminiRequest,
  encodeRequest: (request) => encodeGeminiRequest(request),
  decodeResponse: decodeGeminiResponse,
  encodeResponse: encodeGeminiResponse,
  createStreamDecoder: () => new GeminiStreamDecoder(),
  createStreamEncoder: (options) => new GeminiStreamEncoder(options),
  readError: readGeminiError,
  errorLabel: 'Gemini',
  encodeError: encodeGeminiError,
};

export { encodeGeminiRequest, type GeminiEncodeOptions } from './encode-request.js';
export { decodeGeminiRequest } from './decode-request.js';
export { decodeGeminiResponse } from './decode-response.js';
export { encodeGeminiResponse } from './encode-response.js';
export { encodeGeminiError, readGeminiError } from './error.js';
export { GeminiStreamDecoder } from './stream-decoder.js';
export { GeminiStreamEncoder } from './stream-encoder.js';
export { toGeminiSchema } from './schema.js';
export { decodeUsage as decodeGeminiUsage, encodeUsage as encodeGeminiUsage } from './usage.js';
export { geminiEmbeddingCodec } from './embedding-codec.js';
export type * from './wire.js';
