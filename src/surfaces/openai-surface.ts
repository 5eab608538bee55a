import { openaiChatCodec } from '../codecs/openai-chat/index.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { openaiEmbeddingCodec } from '../codecs/openai-embeddings/index.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import type { RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import { attemptEmbedding } from '../pipeline/embedding-attempt.js';
import { estimateEmbeddingInputTokens } from '../pipeline/estimate-tokens.js';
import { GatewayError, type EmbeddingRequest, type EmbeddingResponse } from '../spec/index.js';
import { chatEndpoint } from './chat-endpoint.js';
import { openaiOperationRoutes } from './openai-operations.js';
import { responseHeaders } from './response-headers.js';
import type { SurfaceDependencies } from './surface.js';

const PREFIXES = ['/v1', '/openai/v1'];

/** The OpenAI-compatible API: chat completions, embeddings and the model list, under /v1 and /openai/v1. */
export function openaiRoutes({ pipeline }: SurfaceDependencies): HttpRoute[] {
  const chatCompletions = pipeline.chatHandler(chatEndpoint({ surface: 'openai', codec: openaiChatCodec }));
  const embeddingsEndpoint: OperationEndpoint<EmbeddingRequest, EmbeddingResponse> = {
    surface: 'openai',
    operation: 'embeddings',
    readsBody: true,
    decode: (body) => openaiEmbeddingCodec.decodeRequest(body),
    model: (request) => request.model,
    fallbacks: (request) => request.gateway?.fallbacks,
    inputTokens: estimateEmbeddingInputTokens,
    attempt: attemptEmbedding,
    send(exchange, context, response, request) {
      // Answer in the format the caller asked for, whatever the upstream sent.
      const rendered = { ...response, encodingFormat: request.encodingFormat ?? 'float' };
      sendJson(exchange.response, 200, openaiEmbeddingCodec.encodeResponse(rendered, response.model), responseHeaders(context));
    },
    sendError: sendOpenAIError,
  };
  const embeddings = pipeline.operationHandler(embeddingsEndpoint);

  const listEndpoint: OperationEndpoint<undefined, unknown> = {
    surface: 'openai',
    operation: 'models',
    readsBody: false,
    decode: () => undefined,
    model: () => undefined,
    answer: (context) => ({ object: 'list', data: pipeline.listModels(context.principal).map((id) => modelObject(id)) }),
    send: sendOpenAI,
    sendError: sendOpenAIError,
  };
  /** `GET /v1/models/{model}` (the SDKs' `models.retrieve`); model names may contain slashes. */
  const retrieveEndpoint: OperationEndpoint<string, unknown> = {
    surface: 'openai',
    operation: 'models',
    readsBody: false,
    decode: (_body, exchange) => exchange.params.model!,
    model: () => undefined,
    answer(context, id) {
      if (!pipeline.listModels(context.principal).includes(id)) {
        throw new GatewayError('model_not_found', `The model \`${id.length > 200 ? `${id.slice(0, 200)}…` : id}\` does not exist or is not available to this caller; GET /v1/models lists those that are.`, { param: 'model' });
      }
      return modelObject(id);
    },
    send: sendOpenAI,
    sendError: sendOpenAIError,
  };
  const models = pipeline.operationHandler(listEndpoint);
  const model = pipeline.operationHandler(retrieveEndpoint);

  const routes: HttpRoute[] = [];
  for (const prefix of PREFIXES) {
    routes.push({ method: 'POST', path: `${prefix}/chat/completions`, handler: chatCompletions, renderError: encodeOpenAIError, ownsHeaders: true });
    routes.push({ method: 'POST', path: `${prefix}/embeddings`, handler: embeddings, renderError: encodeOpenAIError, ownsHeaders: true });
    routes.push({ method: 'GET', path: `${prefix}/models`, handler: models, renderError: encodeOpenAIError, ownsHeaders: true });
    routes.push({ method: 'GET', path: `${prefix}/models/*model`, handler: model, renderError: encodeOpenAIError, ownsHeaders: true });
  }
  routes.push(...openaiOperationRoutes(pipeline, PREFIXES));
  return routes;
}

function sendOpenAI(exchange: HttpExchange, context: RequestContext, body: unknown): void {
  sendJson(exchange.response, 200, body, responseHeaders(context));
}

function sendOpenAIError(exchange: HttpExchange, context: RequestContext, error: GatewayError): void {
  sendError(exchange.response, error, encodeOpenAIError, responseHeaders(context));
}

function modelObject(id: string): { id: string; object: 'model'; created: number; owned_by: string } {
  const slash = id.indexOf('/');
  return { id, object: 'model', created: 0, owned_by: slash > 0 ? id.slice(0, slash) : 'tollgate' };
}
