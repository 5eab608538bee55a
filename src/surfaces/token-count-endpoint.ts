import type { ErrorRenderer, HttpExchange } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import { attemptTokenCount } from '../pipeline/token-count-attempt.js';
import type { ChatRequest, TokenCount } from '../spec/index.js';
import { responseHeaders } from './response-headers.js';

export interface TokenCountDialect {
  surface: string;
  /** The dialect's counting body → a spec request (as its chat decoder reads it). */
  decode(body: unknown, exchange: HttpExchange): ChatRequest;
  /** The count in the dialect's answer shape. */
  render(count: TokenCount): unknown;
  renderError: ErrorRenderer;
}

/**
 * A token-counting route: routed by model like chat (the key's model and provider lists apply),
 * answered by the serving provider's own counter or, where it has none, estimated with the model
 * family's tokenizer. `x-tollgate-token-count` says which: `native`, or `estimated; tokenizer=<name>`.
 */
export function tokenCountEndpoint(dialect: TokenCountDialect): OperationEndpoint<ChatRequest, TokenCount> {
  return {
    surface: dialect.surface,
    operation: 'count_tokens',
    readsBody: true,
    decode: dialect.decode,
    model: (request) => request.model,
    fallbacks: (request) => request.gateway?.fallbacks,
    attempt: attemptTokenCount,
    send(exchange, context, count) {
      const headers = responseHeaders(context);
      headers['x-tollgate-token-count'] = count.counter === 'native' ? 'native' : `estimated; tokenizer=${count.counter}`;
      sendJson(exchange.response, 200, dialect.render(count), headers);
    },
    sendError(exchange, context, error) {
      sendError(exchange.response, error, dialect.renderError, responseHeaders(context));
    },
  };
}
