import { openaiResponsesCodec } from '../codecs/openai-responses/index.js';
import type { HttpRoute } from '../http/http-route.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { chatEndpoint } from './chat-endpoint.js';
import { storedResponseRoutes } from './stored-response-routes.js';
import type { SurfaceDependencies } from './surface.js';

/**
 * OpenAI's Responses API, for Codex CLI and `client.responses.create`: `POST /v1/responses` and
 * `POST /openai/v1/responses`. Requests may go to any configured provider. With stored responses
 * (the responses-store module), answers are kept (`store`), continued (`previous_response_id`),
 * run in the background, and read back by `GET`, `DELETE` and `POST …/cancel` on `/responses/{id}`.
 */
export function responsesRoutes({ pipeline, storedResponses }: SurfaceDependencies): HttpRoute[] {
  // The completed response always carries usage in this API, asked for or not.
  const handler = pipeline.chatHandler(chatEndpoint({ surface: 'openai-responses', codec: openaiResponsesCodec, alwaysIncludeUsage: true }));
  return ['/v1', '/openai/v1'].flatMap((prefix) => [
    { method: 'POST' as const, path: `${prefix}/responses`, handler, renderError: encodeOpenAIError, ownsHeaders: true },
    ...(storedResponses === undefined ? [] : storedResponseRoutes(pipeline, storedResponses, prefix)),
  ]);
}
