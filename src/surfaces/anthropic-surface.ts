import { anthropicMessagesCodec } from '../codecs/anthropic-messages/index.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import type { RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import { GatewayError } from '../spec/index.js';
import { chatEndpoint } from './chat-endpoint.js';
import { modelPage, pageSize } from './model-page.js';
import { responseHeaders } from './response-headers.js';
import type { SurfaceDependencies } from './surface.js';
import { tokenCountEndpoint } from './token-count-endpoint.js';

/** Models have no creation date in the gateway; Anthropic's list requires one. */
const EPOCH = '1970-01-01T00:00:00Z';

/**
 * Anthropic's Messages API, for callers built on it (Claude Code: `ANTHROPIC_BASE_URL=http://host:port/anthropic`).
 * Requests may go to any configured provider; Anthropic upstreams get the caller's bytes back unchanged.
 * Also `count_tokens` and the model list, in Anthropic's shapes.
 */
export function anthropicRoutes({ pipeline }: SurfaceDependencies): HttpRoute[] {
  const renderError = anthropicMessagesCodec.encodeError.bind(anthropicMessagesCodec);
  const messages = pipeline.chatHandler(chatEndpoint({ surface: 'anthropic', codec: anthropicMessagesCodec, alwaysIncludeUsage: true }));
  const countTokens = pipeline.operationHandler(
    tokenCountEndpoint({
      surface: 'anthropic',
      // The counting body is a Messages body without `max_tokens`; the decoder requires one, and it changes no count.
      decode: (body) => anthropicMessagesCodec.decodeRequest(isRecord(body) ? { max_tokens: 1, ...body, stream: false } : body),
      render: (count) => ({ input_tokens: count.inputTokens }),
      renderError,
    }),
  );
  const send = (exchange: HttpExchange, context: RequestContext, body: unknown): void => sendJson(exchange.response, 200, body, responseHeaders(context));
  const sendAnthropicError = (exchange: HttpExchange, context: RequestContext, error: GatewayError): void => sendError(exchange.response, error, renderError, responseHeaders(context));
  const list: OperationEndpoint<URLSearchParams, unknown> = {
    surface: 'anthropic',
    operation: 'models',
    readsBody: false,
    decode: (_body, exchange) => exchange.query,
    model: () => undefined,
    answer(context, query) {
      const limit = pageSize(query.get('limit'), 'limit', 20, 1000);
      const page = modelPage(pipeline.listModels(context.principal), limit, query.get('after_id') ?? undefined, query.get('before_id') ?? undefined);
      return { data: page.ids.map(modelInfo), has_more: page.more, first_id: page.ids[0] ?? null, last_id: page.ids[page.ids.length - 1] ?? null };
    },
    send,
    sendError: sendAnthropicError,
  };
  const retrieve: OperationEndpoint<string, unknown> = {
    surface: 'anthropic',
    operation: 'models',
    readsBody: false,
    decode: (_body, exchange) => exchange.params.model!,
    model: () => undefined,
    answer(context, id) {
      if (!pipeline.listModels(context.principal).includes(id)) throw new GatewayError('model_not_found', `The model \`${id.slice(0, 200)}\` does not exist or is not available to this key; GET /anthropic/v1/models lists those that are.`, { param: 'model_id' });
      return modelInfo(id);
    },
    send,
    sendError: sendAnthropicError,
  };
  return [
    { method: 'POST', path: '/anthropic/v1/messages', handler: messages, renderError, ownsHeaders: true },
    { method: 'POST', path: '/anthropic/v1/messages/count_tokens', handler: countTokens, renderError, ownsHeaders: true },
    { method: 'GET', path: '/anthropic/v1/models', handler: pipeline.operationHandler(list), renderError, ownsHeaders: true },
    { method: 'GET', path: '/anthropic/v1/models/*model', handler: pipeline.operationHandler(retrieve), renderError, ownsHeaders: true },
  ];
}

function modelInfo(id: string): { type: 'model'; id: string; display_name: string; created_at: string } {
  return { type: 'model', id, display_name: id, created_at: EPOCH };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
