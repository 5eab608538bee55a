import { FREQUENCY_PENALTY, JSON_OBJECT_FORMAT, PARALLEL_TOOL_CALLS, PRESENCE_PENALTY, SEED, USER } from '../dropped-fields.js';
import type { ChatCodec } from '../codec.js';
import { decodeRequest } from './decode-request.js';
import { decodeResponse } from './decode-response.js';
import { encodeRequest } from './encode-request.js';
import { encodeResponse } from './encode-response.js';
import { encodeBedrockError, readBedrockError } from './error.js';
import { BedrockStreamDecoder } from './stream-decoder.js';
import { BedrockStreamEncoder } from './stream-encoder.js';
import { BEDROCK_CONVERSE_DIALECT } from './wire-types.js';

/**
 * Amazon Bedrock's Converse API (`POST /model/{modelId}/converse` and `/converse-stream`), both
 * directions. The model lives in the URL, so encodeRequest leaves it out of the body.
 */
export const bedrockConverseCodec: ChatCodec = {
  droppedFields: [SEED, PRESENCE_PENALTY, FREQUENCY_PENALTY, USER, PARALLEL_TOOL_CALLS, JSON_OBJECT_FORMAT],
  dialect: BEDROCK_CONVERSE_DIALECT,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
  createStreamDecoder: () => new BedrockStreamDecoder(),
  createStreamEncoder: (options) => new BedrockStreamEncoder(options),
  readError: readBedrockError,
  errorLabel: 'Bedrock',
  encodeError: encodeBedrockError,
};

export { BEDROCK_CONVERSE_DIALECT, ERROR_EVENT_PREFIX, EXCEPTION_EVENT_PREFIX } from './wire-types.js';
export { THINKING_BUDGET_BY_EFFORT } from './encode-request.js';
