import type { HttpExchange } from '../http/http-route.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import type { BilledUnits, ChatRequest, GatewayError, Usage } from '../spec/index.js';
import type { ChatSink } from './chat-sink.js';
import type { RequestContext } from './context.js';
import type { Target } from './target.js';

/**
 * What a surface tells the pipeline about one of its routes: how to read the caller's dialect and
 * where to deliver the answer. The pipeline does everything in between, in the same order for every
 * route (docs/architecture.md); a surface never authenticates, dispatches or records anything.
 */
interface EndpointBase {
  /** Inbound API name for logs and metrics: `openai`, `anthropic`, `gemini`, `openai-responses`, … */
  readonly surface: string;
}

export interface ChatEndpoint extends EndpointBase {
  /** Operation name for logs and metrics; default `chat` (`completions` for legacy text completions). Stages see every chat request as `chat`. */
  readonly operation?: string;
  /** The body (and the URL, for dialects that carry the model there) → a spec request. Throws GatewayError naming the param. */
  decode(body: unknown, exchange: HttpExchange): ChatRequest;
  /** Renders answers in the dialect; one sink per request. */
  sink(exchange: HttpExchange): ChatSink;
  /**
   * Present when `decode` reads the body alone (no URL, header or stored state), so the same bytes
   * always decode to the same request: the endpoint's name in indexes of raw bodies (RawChatCall).
   */
  readonly rawKey?: string;
}

/** One attempt of an operation on one target, made by the endpoint's own adapter call. */
export interface OperationResult<Response> {
  keyId: string | undefined;
  response: Response;
  /** What the provider says was used, for budgets and cost. */
  usage: Usage | undefined;
  /** The status the answer goes out with, when not 200 (a provider's own error, forwarded as it is by the pass-through route). */
  status?: number;
}

/**
 * Any other operation: embeddings and the model list today, and the endpoints beyond chat (images,
 * audio, files, batches, rerank). Either the gateway answers it itself (`answer`) or it is routed by `model` to a
 * provider and sent there by `attempt`, with routing, governance, stages and observers as for chat.
 */
export interface OperationEndpoint<Request, Response> extends EndpointBase {
  /** Operation name for logs, metrics and stages (`models`, `images`, …). */
  readonly operation: string;
  /** Whether the route takes a JSON body, or its bytes whatever their type (`decode` gets undefined when neither). */
  readonly readsBody: boolean | 'bytes';
  /** A promise when the endpoint reads the body itself as a stream (a multipart upload: `readsBody: false`). */
  decode(body: unknown, exchange: HttpExchange): Request | Promise<Request>;
  /**
   * Checks, once the caller is known and the request decoded, that the caller may act on what the
   * request names, and completes it from the gateway's own records: a file or batch another key
   * owns is not found (the Files and Batch APIs). Throws GatewayError. Runs before `model`.
   */
  authorize?(context: RequestContext, request: Request): void | Promise<void>;
  /** The model to route by, or undefined when the gateway answers the request itself. */
  model(request: Request): string | undefined;
  /**
   * The provider the request is addressed to, for routes that name one rather than a model (the
   * pass-through): the plan is that provider alone, and the key must be allowed it.
   */
  provider?(request: Request): string;
  /** Models to fall back to, after the route's own targets (the request's `fallbacks`). */
  fallbacks?(request: Request): readonly string[] | undefined;
  /** Rough input tokens, for token rate limits and budget reservations (0 when absent). */
  inputTokens?(request: Request): number;
  /** The units the request expects to bill (images, searches), for budget reservations of operations priced per unit. */
  units?(request: Request): BilledUnits;
  /** The gateway's own answer (a request with no model); may read storage (a stored response). Throws GatewayError. */
  answer?(context: RequestContext, request: Request): Response | Promise<Response>;
  /** One attempt on a target. Throws GatewayError; the pipeline falls back to the next target. */
  attempt?(target: Target, request: Request, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<Response>>;
  /**
   * Writes the answer to `request` (as the stages left it) in the dialect, with the context's
   * response headers. A promise when the answer streams: the request ends when it settles.
   */
  send(exchange: HttpExchange, context: RequestContext, response: Response, request: Request): void | Promise<void>;
  /** Writes an error in the dialect, with the context's response headers. */
  sendError(exchange: HttpExchange, context: RequestContext, error: GatewayError): void;
}
