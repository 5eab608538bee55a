import { openaiResponsesCodec } from '../codecs/openai-responses/index.js';
import type { HttpRoute } from '../http/http-route.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { chatEndpoint } from './chat-endpoint.js';
import { storedResponseRoutes } from './stored-response-routes.js';
import type { SurfaceDependencies } from './surface.js';
import { tokenCountEndpoint } from './token-count-endpoint.js';

/**
 * OpenAI's Responses API, for Codex CLI and `client.responses.create`: `POST /v1/responses` and
 * `POST /openai/v1/responses`. Requests may go to any configured provider. With stored responses
 * (the responses-store module), answers are kept (`store`), continued (`previous_response_id`),
 * run in the background, and read back by `GET`, `DELETE` and `POST …/cancel` on `/responses/{id}`.
 * `POST …/responses/input_tokens` counts a request's input tokens.
 */
export function responsesRoutes({ pipeline, storedResponses }: SurfaceDependencies): HttpRoute[] {
  // The completed response always carries usage in this API, asked for or not.
  const handler = pipeline.chatHandler(chatEndpoint({ surface: 'openai-responses', codec: openaiResponsesCodec, alwaysIncludeUsage: true }));
  const inputTokens = pipeline.operationHandler(
    tokenCountEndpoint({
      surface: 'openai-responses',
      decode: (body) => openaiResponsesCodec.decodeRequest(body),
      render: (count) => ({ object: 'response.input_tokens', input_tokens: count.inputTokens }),
      renderError: encodeOpenAIError,
    }),
  );
  return ['/v1', '/openai/v1'].flatMap((prefix): HttpRoute[] => [
    { method: 'POST', path: `${prefix}/responses`, handler, renderError: encodeOpenAIError, ownsHeaders: true },
    { method: 'POST', path: `${prefix}/responses/input_tokens`, handler: inputTokens, renderError: encodeOpenAIError, ownsHeaders: true },
    ...(storedResponses === undefined ? [] : storedResponseRoutes(pipeline, storedResponses, prefix)),
  ]);
}
