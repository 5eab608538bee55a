import { openaiChatCodec } from '../codecs/openai-chat/index.js';
import { openaiEmbeddingCodec } from '../codecs/openai-embeddings/index.js';
import type { EmbeddingSink } from '../pipeline/embedding-attempt.js';
import { GatewayError, toGatewayError } from '../spec/index.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { createChatHandler } from './chat-handler.js';
import { responseHeaders } from './response-headers.js';
import { contextFor, type SurfaceDependencies } from './surface.js';
import { withHeaderFallbacks } from '../pipeline/header-fallbacks.js';

const PREFIXES = ['/v1', '/openai/v1'];

/** The OpenAI-compatible API: chat completions, embeddings and the model list, under /v1 and /openai/v1. */
export function openaiRoutes({ pipeline }: SurfaceDependencies): HttpRoute[] {
  const chatCompletions = createChatHandler({ pipeline, surface: 'openai', codec: openaiChatCodec });

  async function embeddings(exchange: HttpExchange): Promise<void> {
    const context = contextFor(exchange, 'openai', 'embeddings');
    let encodingFormat: 'float' | 'base64' | undefined;
    const sink: EmbeddingSink = {
      complete(done, response) {
        // Answer in the format the caller asked for, whatever the upstream sent.
        const rendered = { ...response, encodingFormat: encodingFormat ?? 'float' };
        sendJson(exchange.response, 200, openaiEmbeddingCodec.encodeResponse(rendered, response.model), responseHeaders(done));
      },
      fail(failed, error) {
        sendError(exchange.response, error, encodeOpenAIError, responseHeaders(failed));
      },
    };
    try {
      await pipeline.authenticate(context);
      const body = await exchange.readJson();
      const request = withHeaderFallbacks(openaiEmbeddingCodec.decodeRequest(body), exchange.request.headers);
      encodingFormat = request.encodingFormat;
      await pipeline.embeddings(context, request, sink);
    } catch (error) {
      pipeline.fail(context, toGatewayError(error), sink);
    } finally {
      pipeline.finish(context);
    }
  }

  async function models(exchange: HttpExchange): Promise<void> {
    const context = contextFor(exchange, 'openai', 'chat');
    await pipeline.authenticate(context);
    const data = pipeline.listModels(context.principal).map((id) => ({ id, object: 'model', created: 0, owned_by: ownerOf(id) }));
    sendJson(exchange.response, 200, { object: 'list', data });
  }

  /** `GET /v1/models/{model}` (the SDKs' `models.retrieve`); model names may contain slashes. */
  async function model(exchange: HttpExchange): Promise<void> {
    const context = contextFor(exchange, 'openai', 'chat');
    await pipeline.authenticate(context);
    const id = exchange.params.model!;
    if (!pipeline.listModels(context.principal).includes(id)) {
      throw new GatewayError('model_not_found', `The model \`${id.length > 200 ? `${id.slice(0, 200)}…` : id}\` does not exist or is not available to this caller; GET /v1/models lists those that are.`, { param: 'model' });
    }
    sendJson(exchange.response, 200, { id, object: 'model', created: 0, owned_by: ownerOf(id) });
  }

  const routes: HttpRoute[] = [];
  for (const prefix of PREFIXES) {
    routes.push({ method: 'POST', path: `${prefix}/chat/completions`, handler: chatCompletions, renderError: encodeOpenAIError, ownsHeaders: true });
    routes.push({ method: 'POST', path: `${prefix}/embeddings`, handler: embeddings, renderError: encodeOpenAIError, ownsHeaders: true });
    routes.push({ method: 'GET', path: `${prefix}/models`, handler: models, renderError: encodeOpenAIError });
    routes.push({ method: 'GET', path: `${prefix}/models/*model`, handler: model, renderError: encodeOpenAIError });
  }
  return routes;
}

function ownerOf(model: string): string {
  const slash = model.indexOf('/');
  return slash > 0 ? model.slice(0, slash) : 'tollgate';
}
