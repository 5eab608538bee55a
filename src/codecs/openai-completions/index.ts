import type { ChatCodec } from '../codec.js';
import { encodeOpenAIError, readOpenAIError } from '../openai-chat/error.js';
import { decodeCompletionRequest, OPENAI_COMPLETIONS_DIALECT } from './decode-request.js';
import { encodeCompletionRequest } from './encode-request.js';
import { decodeCompletionResponse, encodeCompletionResponse } from './response.js';
import { OpenAICompletionStreamDecoder, OpenAICompletionStreamEncoder } from './stream.js';

/**
 * OpenAI's legacy text completions (`/v1/completions`, https://platform.openai.com/docs/api-reference/completions),
 * inbound and outbound: `{model, prompt, max_tokens?, stream?, …}` answered by a `text_completion`
 * object with `choices[].text`, or by `text_completion` chunks and `data: [DONE]` when streamed.
 */
export const openaiCompletionCodec: ChatCodec = {
  dialect: OPENAI_COMPLETIONS_DIALECT,
  decodeRequest: decodeCompletionRequest,
  encodeRequest: encodeCompletionRequest,
  decodeResponse: decodeCompletionResponse,
  encodeResponse: encodeCompletionResponse,
  createStreamDecoder: () => new OpenAICompletionStreamDecoder(),
  createStreamEncoder: (options) => new OpenAICompletionStreamEncoder(options),
  readError: readOpenAIError,
  encodeError: encodeOpenAIError,
};

export { OPENAI_COMPLETIONS_DIALECT } from './decode-request.js';
