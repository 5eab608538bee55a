import { PARALLEL_TOOL_CALLS, USER } from '../dropped-fields.js';
import type { UpstreamChatCodec } from '../codec.js';
import { decodeCohereResponse } from './decode-response.js';
import { encodeCohereRequest } from './encode-request.js';
import { readCohereError } from './error.js';
import { CohereStreamDecoder } from './stream-decoder.js';
import { COHERE_CHAT_DIALECT } from './wire.js';

/** Cohere's v2 Chat API (`POST /v2/chat`), the upstream half: no caller speaks it to Tollgate. */
export const cohereChatCodec: UpstreamChatCodec = {
  dialect: COHERE_CHAT_DIALECT,
  droppedFields: [USER, PARALLEL_TOOL_CALLS],
  encodeRequest: encodeCohereRequest,
  decodeResponse: decodeCohereResponse,
  createStreamDecoder: () => new CohereStreamDecoder(),
  readError: readCohereError,
  errorLabel: 'Cohere',
};

export { COHERE_CHAT_DIALECT } from './wire.js';
export { decodeCohereUsage } from './usage.js';
export { readCohereError } from './error.js';
export type * from './wire.js';
