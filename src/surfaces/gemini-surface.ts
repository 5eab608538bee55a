import { geminiCodec } from '../codecs/gemini/index.js';
import type { HttpExchange, HttpHandler, HttpRoute } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import type { RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import { GatewayError, type ChatRequest } from '../spec/index.js';
import { chatEndpoint } from './chat-endpoint.js';
import { modelPage, pageSize } from './model-page.js';
import { responseHeaders } from './response-headers.js';
import type { SurfaceDependencies } from './surface.js';
import { tokenCountEndpoint } from './token-count-endpoint.js';

const ACTION = /^(.+):(generateContent|streamGenerateContent|countTokens)$/;

/**
 * Gemini's API, for `@google/genai` pointed at `http://host:port/gemini`:
 * `POST /gemini/v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse` and
 * `:countTokens`, and the model list (`GET /gemini/v1beta/models`, `GET …/models/{model}`).
 */
export function geminiRoutes({ pipeline }: SurfaceDependencies): HttpRoute[] {
  const renderError = geminiCodec.encodeError.bind(geminiCodec);
  const generate = pipeline.chatHandler(
    chatEndpoint({
      surface: 'gemini',
      codec: geminiCodec,
      alwaysIncludeUsage: true,
      decode(body: unknown, exchange: HttpExchange) {
        const [model, method] = actionOf(exchange);
        return geminiCodec.decodeRequest({ ...requireObject(body), model, stream: method === 'streamGenerateContent' });
      },
    }),
  );
  const countTokens = pipeline.operationHandler(
    tokenCountEndpoint({
      surface: 'gemini',
      decode: decodeCountTokens,
      render: (count) => ({ totalTokens: count.inputTokens }),
      renderError,
    }),
  );
  const byAction: HttpHandler = (exchange) => (ACTION.exec(exchange.params.action ?? '')?.[2] === 'countTokens' ? countTokens(exchange) : generate(exchange));

  const send = (exchange: HttpExchange, context: RequestContext, body: unknown): void => sendJson(exchange.response, 200, body, responseHeaders(context));
  const sendGeminiError = (exchange: HttpExchange, context: RequestContext, error: GatewayError): void => sendError(exchange.response, error, renderError, responseHeaders(context));
  const list: OperationEndpoint<URLSearchParams, unknown> = {
    surface: 'gemini',
    operation: 'models',
    readsBody: false,
    decode: (_body, exchange) => exchange.query,
    model: () => undefined,
    answer(context, query) {
      const size = pageSize(query.get('pageSize'), 'pageSize', 50, 1000);
      const token = query.get('pageToken');
      const page = modelPage(pipeline.listModels(context.principal), size, token === null || token === '' ? undefined : fromPageToken(token), undefined);
      const last = page.ids[page.ids.length - 1];
      return { models: page.ids.map(modelInfo), ...(page.more && last !== undefined ? { nextPageToken: Buffer.from(last).toString('base64url') } : {}) };
    },
    send,
    sendError: sendGeminiError,
  };
  const retrieve: OperationEndpoint<string, unknown> = {
    surface: 'gemini',
    operation: 'models',
    readsBody: false,
    decode(_body, exchange) {
      const name = exchange.params.action ?? '';
      // `GET models/{model}:generateContent` names a method, which only POST serves.
      if (ACTION.test(name)) throw new GatewayError('method_not_allowed', `models/{model}:{method} takes POST, not ${exchange.method}.`);
      return name.replace(/^models\//, '');
    },
    model: () => undefined,
    answer(context, id) {
      if (!pipeline.listModels(context.principal).includes(id)) throw new GatewayError('model_not_found', `models/${id.slice(0, 200)} is not found or not available to this key; GET /gemini/v1beta/models lists those that are.`, { param: 'name' });
      return modelInfo(id);
    },
    send,
    sendError: sendGeminiError,
  };
  const models = pipeline.operationHandler(list);
  const model = pipeline.operationHandler(retrieve);
  return ['v1beta', 'v1'].flatMap((version): HttpRoute[] => [
    { method: 'POST', path: `/gemini/${version}/models/*action`, handler: byAction, renderError, ownsHeaders: true },
    { method: 'GET', path: `/gemini/${version}/models`, handler: models, renderError, ownsHeaders: true },
    { method: 'GET', path: `/gemini/${version}/models/*action`, handler: model, renderError, ownsHeaders: true },
  ]);
}

function actionOf(exchange: HttpExchange): [model: string, method: string] {
  const match = ACTION.exec(exchange.params.action ?? '');
  if (match === null) throw new GatewayError('route_not_found', 'Use models/{model}:generateContent, :streamGenerateContent or :countTokens.');
  return [match[1]!, match[2]!];
}

function requireObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** `countTokens` takes either `contents` or a whole `generateContentRequest` (then its system instruction and tools count too). */
function decodeCountTokens(body: unknown, exchange: HttpExchange): ChatRequest {
  const [model] = actionOf(exchange);
  const wire = requireObject(body);
  if (wire.generateContentRequest === undefined) return geminiCodec.decodeRequest({ contents: wire.contents, model, stream: false });
  const { model: _named, ...generate } = requireObject(wire.generateContentRequest);
  return geminiCodec.decodeRequest({ ...generate, model, stream: false });
}

function fromPageToken(token: string): string {
  return Buffer.from(token, 'base64url').toString('utf8');
}

/** A Gemini `Model`; limits the gateway does not know are left out. */
function modelInfo(id: string): Record<string, unknown> {
  return { name: `models/${id}`, version: '', displayName: id, supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'] };
}
