import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { openaiCompletionCodec } from '../codecs/openai-completions/index.js';
import { openaiImageCodec } from '../codecs/openai-images/index.js';
import { openaiModerationCodec } from '../codecs/openai-moderations/index.js';
import { openaiRerankCodec } from '../codecs/openai-rerank/index.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import type { RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import { estimateTextTokens } from '../pipeline/estimate-tokens.js';
import { attemptImageGeneration } from '../pipeline/image-attempt.js';
import { attemptModeration } from '../pipeline/moderation-attempt.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { attemptRerank } from '../pipeline/rerank-attempt.js';
import type { GatewayError, ImageGenerationRequest, ImageGenerationResponse, ModerationRequest, ModerationResponse, RerankRequest, RerankResponse } from '../spec/index.js';
import { chatEndpoint } from './chat-endpoint.js';
import { responseHeaders } from './response-headers.js';

/** The model a moderation request without `model` is routed by: OpenAI's own default. */
export const DEFAULT_MODERATION_MODEL = 'omni-moderation-latest';

/**
 * The OpenAI endpoints beyond chat, embeddings and models: `/completions` (legacy text
 * completions, through the chat pipeline), `/moderations`, `/rerank` (Cohere-compatible) and
 * `/images/generations`, each under every prefix given.
 */
export function openaiOperationRoutes(pipeline: Pipeline, prefixes: readonly string[]): HttpRoute[] {
  const completions = pipeline.chatHandler(chatEndpoint({ surface: 'openai', codec: openaiCompletionCodec, operation: 'completions' }));

  const moderationEndpoint: OperationEndpoint<ModerationRequest, ModerationResponse> = {
    surface: 'openai',
    operation: 'moderations',
    readsBody: true,
    decode: (body) => openaiModerationCodec.decodeRequest(body, DEFAULT_MODERATION_MODEL),
    model: (request) => request.model,
    fallbacks: (request) => request.gateway?.fallbacks,
    inputTokens: (request) => estimateTextTokens(request.input.map((item) => (typeof item === 'string' ? item : item.type === 'text' ? item.text : ''))),
    units: () => ({ freeUnlessPriced: true }),
    attempt: attemptModeration,
    send: (exchange, context, response) => sendOpenAI(exchange, context, openaiModerationCodec.encodeResponse(response, response.model)),
    sendError: sendOpenAIError,
  };

  const rerankEndpoint: OperationEndpoint<RerankRequest, RerankResponse> = {
    surface: 'openai',
    operation: 'rerank',
    readsBody: true,
    decode: (body) => openaiRerankCodec.decodeRequest(body),
    model: (request) => request.model,
    fallbacks: (request) => request.gateway?.fallbacks,
    inputTokens: (request) => estimateTextTokens([request.query, ...request.documents]),
    // Cohere bills a search per query of up to 100 documents.
    units: (request) => ({ searches: Math.max(1, Math.ceil(request.documents.length / 100)) }),
    attempt: attemptRerank,
    send(exchange, context, response, request) {
      // Documents only when asked for, whatever the upstream sent.
      const rendered = request.returnDocuments === true ? response : { ...response, results: response.results.map(({ index, relevanceScore }) => ({ index, relevanceScore })) };
      sendOpenAI(exchange, context, openaiRerankCodec.encodeResponse(rendered, response.model));
    },
    sendError: sendOpenAIError,
  };

  const imageEndpoint: OperationEndpoint<ImageGenerationRequest, ImageGenerationResponse> = {
    surface: 'openai',
    operation: 'images',
    readsBody: true,
    decode: (body) => openaiImageCodec.decodeRequest(body),
    model: (request) => request.model,
    fallbacks: (request) => request.gateway?.fallbacks,
    inputTokens: (request) => estimateTextTokens([request.prompt]),
    units: (request) => ({ images: request.n ?? 1, ...(request.size === undefined ? {} : { imageSize: request.size }), ...(request.quality === undefined ? {} : { imageQuality: request.quality }) }),
    attempt: attemptImageGeneration,
    send: (exchange, context, response) => sendOpenAI(exchange, context, openaiImageCodec.encodeResponse(response)),
    sendError: sendOpenAIError,
  };

  const moderations = pipeline.operationHandler(moderationEndpoint);
  const rerank = pipeline.operationHandler(rerankEndpoint);
  const images = pipeline.operationHandler(imageEndpoint);
  const routes: HttpRoute[] = [];
  for (const prefix of prefixes) {
    routes.push({ method: 'POST', path: `${prefix}/completions`, handler: completions, renderError: encodeOpenAIError, ownsHeaders: true });
    routes.push({ method: 'POST', path: `${prefix}/moderations`, handler: moderations, renderError: encodeOpenAIError, ownsHeaders: true });
    routes.push({ method: 'POST', path: `${prefix}/rerank`, handler: rerank, renderError: encodeOpenAIError, ownsHeaders: true });
    routes.push({ method: 'POST', path: `${prefix}/images/generations`, handler: images, renderError: encodeOpenAIError, ownsHeaders: true });
  }
  return routes;
}

function sendOpenAI(exchange: HttpExchange, context: RequestContext, body: unknown): void {
  sendJson(exchange.response, 200, body, responseHeaders(context));
}

function sendOpenAIError(exchange: HttpExchange, context: RequestContext, error: GatewayError): void {
  sendError(exchange.response, error, encodeOpenAIError, responseHeaders(context));
}
