import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { HttpExchange, HttpMethod, HttpRoute } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import type { StoredResponses } from '../pipeline/capabilities.js';
import type { RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { GatewayError } from '../spec/index.js';
import { responseHeaders } from './response-headers.js';

interface StoredRequest {
  id: string;
  owner: string | undefined;
}

interface ItemsRequest extends StoredRequest {
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

function notFound(id: string): GatewayError {
  return new GatewayError('response_not_found', `No stored response \`${id}\` for this key: it was not stored (\`store: false\`), was deleted or has expired.`);
}

function send(exchange: HttpExchange, context: RequestContext, body: unknown): void {
  sendJson(exchange.response, 200, body, responseHeaders(context));
}

function sendOpenAIError(exchange: HttpExchange, context: RequestContext, error: GatewayError): void {
  sendError(exchange.response, error, encodeOpenAIError, responseHeaders(context));
}

/** An operation on a stored response, answered by the gateway from its storage (no model, no provider). */
function storedOperation<Request extends StoredRequest>(operation: string, decode: (exchange: HttpExchange) => Omit<Request, 'owner'>, answer: (request: Request) => Promise<unknown>): OperationEndpoint<Request, unknown> {
  return {
    surface: 'openai-responses',
    operation,
    readsBody: false,
    decode: (_body, exchange) => decode(exchange) as Request,
    model: () => undefined,
    // The owner is the key that authenticated this request; another key's response is not found.
    answer: (context, request) => answer({ ...request, owner: context.principal?.keyId }),
    send,
    sendError: sendOpenAIError,
  };
}

function integerParam(exchange: HttpExchange, name: string, fallback: number, min: number, max: number): number {
  const text = exchange.query.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new GatewayError('invalid_request', `\`${name}\` must be an integer from ${min} to ${max}.`, { param: name });
  return value;
}

function itemsRequest(exchange: HttpExchange): Omit<ItemsRequest, 'owner'> {
  const order = exchange.query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new GatewayError('invalid_request', '`order` must be `asc` or `desc`.', { param: 'order' });
  const after = exchange.query.get('after');
  return { id: exchange.params.id!, limit: integerParam(exchange, 'limit', 20, 1, 100), order, ...(after === null || after === '' ? {} : { after }) };
}

/**
 * The stored-response routes of the Responses API, under `prefix` (`/v1`, `/openai/v1`): retrieve,
 * input items, delete and cancel. Each is an operation endpoint, so it is authenticated by virtual
 * key, observed and logged like any request.
 */
export function storedResponseRoutes(pipeline: Pipeline, stored: StoredResponses, prefix: string): HttpRoute[] {
  const byId = (exchange: HttpExchange) => ({ id: exchange.params.id! });
  const route = <Request>(method: HttpMethod, path: string, endpoint: OperationEndpoint<Request, unknown>): HttpRoute => ({
    method,
    path: `${prefix}/responses/${path}`,
    handler: pipeline.operationHandler(endpoint),
    renderError: encodeOpenAIError,
    ownsHeaders: true,
  });
  return [
    route('GET', ':id', storedOperation<StoredRequest>('responses.retrieve', byId, async ({ id, owner }) => (await stored.get(id, owner)) ?? throwing(notFound(id)))),
    route(
      'GET',
      ':id/input_items',
      storedOperation<ItemsRequest>('responses.input_items', itemsRequest, async (request) => {
        const page = await stored.inputItems(request.id, request.owner, { limit: request.limit, order: request.order, ...(request.after === undefined ? {} : { after: request.after }) });
        if (page === undefined) throw notFound(request.id);
        return { object: 'list', ...page };
      }),
    ),
    route('DELETE', ':id', storedOperation<StoredRequest>('responses.delete', byId, async ({ id, owner }) => ((await stored.delete(id, owner)) ? { id, object: 'response.deleted', deleted: true } : throwing(notFound(id))))),
    route('POST', ':id/cancel', storedOperation<StoredRequest>('responses.cancel', byId, async ({ id, owner }) => (await stored.cancel(id, owner)) ?? throwing(notFound(id)))),
  ];
}

function throwing(error: GatewayError): never {
  throw error;
}
