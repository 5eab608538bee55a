import { ConverseStreamEncoder, decodeConverseRequest, encodeConverseResponse, streamExceptionType, BEDROCK_CONVERSE_DIALECT } from '../codecs/bedrock-converse/index.js';
import { ANTHROPIC_DIALECT, anthropicMessagesCodec } from '../codecs/anthropic-messages/index.js';
import { awsEventStreamFrame, awsException } from '../codecs/aws-event-stream-frame.js';
import type { HttpExchange, HttpHandler, HttpRoute } from '../http/http-route.js';
import type { ChatEndpoint } from '../pipeline/endpoint.js';
import type { RequestContext } from '../pipeline/context.js';
import { GatewayError, type StreamPart } from '../spec/index.js';
import { renderBedrockError } from './bedrock-error.js';
import { EventStreamSink, type FrameEncoder } from './event-stream-sink.js';
import type { SurfaceDependencies } from './surface.js';

/**
 * Amazon Bedrock Runtime, for AWS SDK callers (`@aws-sdk/client-bedrock-runtime` with its endpoint
 * at `http://host:port/bedrock` and the virtual key as a Bedrock API key, the bearer token):
 *
 * - `POST /bedrock/model/{modelId}/converse` and `/converse-stream` (Converse, streamed as AWS
 *   event-stream frames);
 * - `POST /bedrock/model/{modelId}/invoke` and `/invoke-with-response-stream` for Anthropic-on-Bedrock
 *   bodies (Anthropic's Messages body with `anthropic_version`), answered in Anthropic's shape (the
 *   stream as `chunk` frames each carrying one Anthropic event).
 *
 * `modelId` (URL-encoded by the SDKs) is resolved like any model the gateway serves, so any provider
 * may answer. The SDKs speak HTTP/2 by default; the server takes both (src/server/http-server.ts).
 */
export function bedrockRoutes({ pipeline }: SurfaceDependencies): HttpRoute[] {
  const converse = (stream: boolean): ChatEndpoint => ({
    surface: 'bedrock',
    decode: (body, exchange) => decodeConverseRequest(body, modelOf(exchange), stream),
    sink: (exchange) =>
      new EventStreamSink(exchange, {
        dialect: BEDROCK_CONVERSE_DIALECT,
        renderComplete: (context, response) => JSON.stringify(encodeConverseResponse(response, Date.now() - context.receivedAt)),
        createEncoder: (context) => new ConverseStreamEncoder(context.receivedAt),
        renderError: renderBedrockError,
      }),
  });
  const invoke = (stream: boolean): ChatEndpoint => ({
    surface: 'bedrock',
    decode: (body, exchange) => decodeInvokeRequest(body, modelOf(exchange), stream),
    sink: (exchange) =>
      new EventStreamSink(exchange, {
        dialect: ANTHROPIC_DIALECT,
        renderComplete: (_context, response) => JSON.stringify(anthropicMessagesCodec.encodeResponse(response, response.model)),
        createEncoder: (context) => anthropicChunkEncoder(context),
        renderError: renderBedrockError,
      }),
  });
  const handlers = new Map<string, HttpHandler>([
    ['converse', pipeline.chatHandler(converse(false))],
    ['converse-stream', pipeline.chatHandler(converse(true))],
    ['invoke', pipeline.chatHandler(invoke(false))],
    ['invoke-with-response-stream', pipeline.chatHandler(invoke(true))],
  ]);
  // One route for the four operations: the model id may hold slashes, encoded (`openai%2Fgpt-4o-mini`,
  // as the SDKs send it) or not (`curl …/model/openai/gpt-4o-mini/converse`); the operation is the last segment.
  const handler: HttpHandler = (exchange) => {
    const operation = handlers.get(splitPath(exchange).operation);
    if (operation === undefined) throw new GatewayError('route_not_found', `No Bedrock operation at ${exchange.path.slice(0, 200)}; use /bedrock/model/{modelId}/converse, converse-stream, invoke or invoke-with-response-stream.`);
    return operation(exchange);
  };
  return [{ method: 'POST', path: '/bedrock/model/*path', handler, renderError: renderBedrockError, ownsHeaders: true }];
}

/** `{modelId}/{operation}` of the path, the model id URL-decoded (by the route table). */
function splitPath(exchange: HttpExchange): { model: string; operation: string } {
  const path = exchange.params.path ?? '';
  const at = path.lastIndexOf('/');
  return at === -1 ? { model: '', operation: '' } : { model: path.slice(0, at), operation: path.slice(at + 1) };
}

function modelOf(exchange: HttpExchange): string {
  const { model } = splitPath(exchange);
  if (model.trim() === '') throw new GatewayError('invalid_request', 'The model id in the path is empty.', { param: 'modelId' });
  return model;
}

/**
 * An InvokeModel body for an Anthropic model on Bedrock: Anthropic's Messages body with
 * `anthropic_version` (`bedrock-2023-05-31`) and optionally `anthropic_beta`, without `model` and
 * `stream` (the URL and the operation say those). Both Bedrock-only fields are dropped here.
 */
function decodeInvokeRequest(body: unknown, model: string, stream: boolean) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  const { anthropic_version: version, anthropic_beta: _beta, ...rest } = body as Record<string, unknown>;
  if (version === undefined) {
    throw new GatewayError('invalid_request', "InvokeModel takes Anthropic's Messages body here: anthropic_version (bedrock-2023-05-31) is missing.", { param: 'anthropic_version' });
  }
  return anthropicMessagesCodec.decodeRequest({ ...rest, model, stream });
}

/**
 * InvokeModelWithResponseStream for Anthropic models: each Anthropic stream event (the JSON of an
 * SSE `data:` line) goes base64-encoded in a `chunk` event frame's `{"bytes": …}`, as Bedrock sends it.
 * An error inside the stream goes as an exception frame (`throttlingException`, `modelStreamErrorException`, …),
 * as Bedrock sends it, not as Anthropic's SSE error event.
 */
function anthropicChunkEncoder(context: RequestContext): FrameEncoder {
  const model = context.served?.model ?? context.requestedModel ?? 'unknown';
  const sse = anthropicMessagesCodec.createStreamEncoder({ model, id: `msg_${context.id}`, created: Math.floor(context.receivedAt / 1000), includeUsage: true });
  const chunks = (text: string): Buffer[] => {
    const frames: Buffer[] = [];
    for (const event of text.split('\n\n')) {
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data === '' || data === '[DONE]') continue;
      frames.push(awsEventStreamFrame({ ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify({ bytes: Buffer.from(data, 'utf8').toString('base64') })));
    }
    return frames;
  };
  return {
    encode(part: StreamPart): Buffer[] {
      if (part.type === 'error') {
        return [awsException(streamExceptionType(part.error), part.error.message)];
      }
      return chunks(sse.encode(part));
    },
    end: () => chunks(sse.end()),
  };
}
