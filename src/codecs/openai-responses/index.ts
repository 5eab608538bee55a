import { FREQUENCY_PENALTY, PRESENCE_PENALTY, SEED, TOP_K } from '../dropped-fields.js';
import type { ChatCodec } from '../codec.js';
import { encodeOpenAIError, readOpenAIError } from '../openai-chat/error.js';
import { decodeResponsesRequest } from './decode-request.js';
import { decodeResponsesResponse } from './decode-response.js';
import { encodeResponsesRequest } from './encode-request.js';
import { encodeResponsesResponse } from './encode-response.js';
import { ResponsesStreamDecoder } from './stream-decoder.js';
import { ResponsesStreamEncoder } from './stream-encoder.js';
import { OPENAI_RESPONSES_DIALECT } from './wire.js';

/**
 * OpenAI's Responses API (`POST /v1/responses`), inbound (Codex CLI, `client.responses.create`)
 * and outbound. `store`, `previous_response_id` and `background` are read into the request's
 * conversation state (kept by the stored-responses feature); conversation objects, prompt templates
 * and built-in tools are refused with `unsupported_parameter`. Errors use the same envelope as Chat Completions.
 */
export const openaiResponsesCodec: ChatCodec = {
  droppedFields: [SEED, PRESENCE_PENALTY, FREQUENCY_PENALTY, TOP_K],
  dialect: OPENAI_RESPONSES_DIALECT,
  decodeRequest: decodeResponsesRequest,
  encodeRequest: encodeResponsesRequest,
  decodeResponse: decodeResponsesResponse,
  encodeResponse: encodeResponsesResponse,
  createStreamDecoder: () => new ResponsesStreamDecoder(),
  createStreamEncoder: (options) => new ResponsesStreamEncoder(options),
  readError: readOpenAIError,
  encodeError: encodeOpenAIError,
};

export { OPENAI_RESPONSES_DIALECT } from './wire.js';
export { decodeInput as decodeResponsesInput } from './decode-input.js';
export { encodeResponsesResponse } from './encode-response.js';
export { inputItems as responsesInputItems } from './input-items.js';
export { responseObject, type ResponseLifecycle } from './response-object.js';
export { ResponsesStreamEncoder } from './stream-encoder.js';
