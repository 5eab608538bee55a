import { openaiResponsesCodec } from '../codecs/openai-responses/index.js';
import type { HttpRoute } from '../http/http-route.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { chatEndpoint } from './chat-endpoint.js';
import type { SurfaceDependencies } from './surface.js';

/**
 * OpenAI's Responses API, for Codex CLI and `client.responses.create`: `POST /v1/responses` and
 * `POST /openai/v1/responses`. Requests may go to any configured provider; the gateway is
 * stateless, so callers send the whole conversation each time.
 */
export function responsesRoutes({ pipeline }: SurfaceDependencies): HttpRoute[] {
  // The completed response always carries usage in this API, asked for or not.
  const handler = pipeline.chatHandler(chatEndpoint({ surface: 'openai-responses', codec: openaiResponsesCodec, alwaysIncludeUsage: true }));
  return ['/v1', '/openai/v1'].map((prefix) => ({ method: 'POST' as const, path: `${prefix}/responses`, handler, renderError: encodeOpenAIError, ownsHeaders: true }));
}
