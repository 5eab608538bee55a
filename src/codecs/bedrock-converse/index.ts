import { FREQUENCY_PENALTY, JSON_OBJECT_FORMAT, PARALLEL_TOOL_CALLS, PRESENCE_PENALTY, SEED, USER } from '../dropped-fields.js';
import type { UpstreamChatCodec } from '../codec.js';
import { decodeResponse } from './decode-response.js';
import { encodeRequest } from './encode-request.js';
import { readBedrockError } from './error.js';
import { BedrockStreamDecoder } from './stream-decoder.js';
import { BEDROCK_CONVERSE_DIALECT } from './wire-types.js';

/**
 * Amazon Bedrock's Converse API (`POST /model/{modelId}/converse` and `/converse-stream`), upstream
 * half: what the Bedrock provider speaks. The model lives in the URL, so encodeRequest leaves it out
 * of the body. The caller half (the gateway's own Bedrock surface) is exported below: its events are
 * binary frames, not SSE text, so it is not a ChatCodec.
 */
export const bedrockConverseCodec: UpstreamChatCodec = {
  droppedFields: [SEED, PRESENCE_PENALTY, FREQUENCY_PENALTY, USER, PARALLEL_TOOL_CALLS, JSON_OBJECT_FORMAT],
  dialect: BEDROCK_CONVERSE_DIALECT,
  encodeRequest,
  decodeResponse,
  createStreamDecoder: () => new BedrockStreamDecoder(),
  readError: readBedrockError,
  errorLabel: 'Bedrock',
};

export { BEDROCK_CONVERSE_DIALECT, ERROR_EVENT_PREFIX, EXCEPTION_EVENT_PREFIX } from './wire-types.js';
export { THINKING_BUDGET_BY_EFFORT } from './encode-request.js';

// The caller side, for the gateway's Bedrock surface (src/surfaces/bedrock-surface.ts).
export { decodeConverseRequest } from './decode-request.js';
export { encodeConverseResponse } from './encode-response.js';
export { ConverseStreamEncoder } from './stream-encoder.js';
export { bedrockException, encodeBedrockError, streamExceptionType, type BedrockException } from './surface-error.js';
