import { FREQUENCY_PENALTY, JSON_OBJECT_FORMAT, PRESENCE_PENALTY, SEED } from '../dropped-fields.js';
import type { ChatCodec } from '../codec.js';
import { decodeRequest } from './decode-request.js';
import { decodeResponse } from './decode-response.js';
import { encodeRequest } from './encode-request.js';
import { encodeResponse } from './encode-response.js';
import { encodeAnthropicError, readAnthropicError } from './error.js';
import { AnthropicStreamDecoder } from './stream-decoder.js';
import { AnthropicStreamEncoder } from './stream-encoder.js';
import { ANTHROPIC_DIALECT } from './wire-types.js';

/**
 * Anthropic's Messages API (`POST /v1/messages`), both directions: outbound to api.anthropic.com
 * and inbound for callers that speak it (Claude Code).
 */
export const anthropicMessagesCodec: ChatCodec = {
  droppedFields: [SEED, PRESENCE_PENALTY, FREQUENCY_PENALTY, JSON_OBJECT_FORMAT],
  dialect: ANTHROPIC_DIALECT,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
  createStreamDecoder: () => new AnthropicStreamDecoder(),
  createStreamEncoder: (options) => new AnthropicStreamEncoder(options),
  readError: readAnthropicError,
  errorLabel: 'Anthropic',
  encodeError: encodeAnthropicError,
};

export { ANTHROPIC_DIALECT } from './wire-types.js';
export { DEFAULT_MAX_TOKENS, THINKING_BUDGET_BY_EFFORT } from './encode-request.js';
export { anthropicErrorType } from './error.js';
