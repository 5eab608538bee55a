import { geminiCodec } from '../codecs/gemini/index.js';
import { GatewayError } from '../spec/index.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { chatEndpoint } from './chat-endpoint.js';
import type { SurfaceDependencies } from './surface.js';

const ACTION = /^(.+):(generateContent|streamGenerateContent)$/;

/**
 * Gemini's `generateContent` API, for `@google/genai` pointed at `http://host:port/gemini`:
 * `POST /gemini/v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`.
 */
export function geminiRoutes({ pipeline }: SurfaceDependencies): HttpRoute[] {
  const renderError = geminiCodec.encodeError.bind(geminiCodec);
  const handler = pipeline.chatHandler(
    chatEndpoint({
      surface: 'gemini',
      codec: geminiCodec,
    alwaysIncludeUsage: true,
    decode(body: unknown, exchange: HttpExchange) {
      const match = ACTION.exec(exchange.params.action ?? '');
      if (match === null) throw new GatewayError('route_not_found', 'Use models/{model}:generateContent or models/{model}:streamGenerateContent.');
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
      return geminiCodec.decodeRequest({ ...(body as Record<string, unknown>), model: match[1], stream: match[2] === 'streamGenerateContent' });
    },
    }),
  );
  return ['v1beta', 'v1'].map((version) => ({ method: 'POST' as const, path: `/gemini/${version}/models/*action`, handler, renderError, ownsHeaders: true }));
}
