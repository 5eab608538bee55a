import { Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import type { HttpExchange, HttpMethod, HttpRoute } from '../http/http-route.js';
import { sendError } from '../http/respond.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import { attemptPassthrough, type PassthroughRequest, type PassthroughResponse } from '../pipeline/passthrough-attempt.js';
import { GatewayError } from '../spec/index.js';
import { responseHeaders } from './response-headers.js';
import type { SurfaceDependencies } from './surface.js';

const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const PREFIX = '/passthrough/';

/**
 * `/passthrough/{provider}/{path}` forwards any native request (fine-tuning, vector stores, files,
 * provider-specific endpoints) to `<provider base_url>/{path}`, with the provider's credentials in
 * place of the caller's virtual key. It runs through the pipeline like any operation: the key
 * must be allowed the provider (and the body's `model`, when it names one), limits and budgets
 * apply, it is logged, and priced when the answer carries usage the provider's codec reads.
 */
export function passthroughRoutes({ pipeline }: SurfaceDependencies): HttpRoute[] {
  const endpoint: OperationEndpoint<PassthroughRequest, PassthroughResponse> = {
    surface: 'passthrough',
    operation: 'passthrough',
    readsBody: 'bytes',
    decode: decodePassthrough,
    model: (request) => request.model ?? '*',
    provider: (request) => request.provider,
    attempt: attemptPassthrough,
    send: sendPassthrough,
    sendError(exchange, context, error) {
      sendError(exchange.response, error, encodeOpenAIError, responseHeaders(context));
    },
  };
  const handler = pipeline.operationHandler(endpoint);
  return METHODS.map((method) => ({ method, path: '/passthrough/:provider/*path', handler, renderError: encodeOpenAIError, ownsHeaders: true }));
}

function decodePassthrough(body: unknown, exchange: HttpExchange): PassthroughRequest {
  const url = exchange.request.url ?? '';
  const query = url.indexOf('?');
  const rawPath = query < 0 ? url : url.slice(0, query);
  // The provider segment, then the rest exactly as the caller encoded it.
  const afterPrefix = rawPath.slice(PREFIX.length);
  const slash = afterPrefix.indexOf('/');
  const path = slash < 0 ? '' : afterPrefix.slice(slash + 1);
  if (path.split('/').some((segment) => segment === '..' || decodeSafely(segment) === '..')) throw new GatewayError('invalid_request', 'The pass-through path may not contain `..` segments.');
  const bytes = body as Buffer;
  return {
    provider: exchange.params.provider!,
    path,
    search: query < 0 ? '' : url.slice(query),
    method: exchange.method as PassthroughRequest['method'],
    headers: exchange.request.headers,
    body: bytes.length === 0 ? undefined : bytes,
    model: modelOf(bytes, exchange.request.headers['content-type']),
  };
}

function decodeSafely(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The `model` a JSON body names, so the key's model list applies to it. */
function modelOf(bytes: Buffer, contentType: string | undefined): string | undefined {
  if (bytes.length === 0 || contentType === undefined || !/\bjson\b/i.test(contentType)) return undefined;
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as unknown;
    const model = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>).model : undefined;
    return typeof model === 'string' && model.length > 0 ? model : undefined;
  } catch {
    return undefined;
  }
}

async function sendPassthrough(exchange: HttpExchange, context: RequestContext, answer: PassthroughResponse): Promise<void> {
  const response = exchange.response;
  const headers = { ...answer.headers, ...responseHeaders(context) };
  if (Buffer.isBuffer(answer.body)) {
    response.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
    response.end(answer.body);
    return;
  }
  response.writeHead(answer.status, headers);
  try {
    await pipe(Readable.from(answer.body), response, { signal: exchange.signal });
  } catch {
    // The caller left or the upstream broke off: the response is cut short, as the upstream's was.
    response.destroy();
  }
}
