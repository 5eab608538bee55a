import { TOP_K } from '../dropped-fields.js';
import type { ChatCodec } from '../codec.js';
import { decodeChatRequest, OPENAI_CHAT_DIALECT } from './decode-request.js';
import { decodeChatResponse } from './decode-response.js';
import { encodeChatRequest } from './encode-request.js';
import { encodeChatResponse } from './encode-response.js';
import { encodeOpenAIError, readOpenAIError } from './error.js';
import { OpenAIChatStreamDecoder } from './stream-decoder.js';
import { OpenAIChatStreamEncoder } from './stream-encoder.js';

/** OpenAI Chat Completions (`/v1/chat/completions`), inbound and outbound. */
export const openaiChatCodec: ChatCodec = {
  droppedFields: [TOP_K],
  dialect: OPENAI_CHAT_DIALECT,
  decodeRequest: decodeChatRequest,
  encodeRequest: encodeChatRequest,
  decodeResponse: decodeChatResponse,
  encodeResponse: encodeChatResponse,
  createStreamDecoder: () => new OpenAIChatStreamDecoder(),
  createStreamEncoder: (options) => new OpenAIChatStreamEncoder(options),
  readError: readOpenAIError,
  encodeError: encodeOpenAIError,
};

export { OPENAI_CHAT_DIALECT } from './decode-request.js';
export { decodeFinishReason, encodeFinishReason } from './finish-reason.js';
export { decodeUsage, encodeUsage } from './usage.js';
