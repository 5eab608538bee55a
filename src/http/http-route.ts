import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GatewayError } from '../spec/index.js';
import type { RouteDescription } from './route-description.js';
import type { RequestAbort } from './request-abort.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One HTTP exchange as handlers see it. */
export interface HttpExchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly requestId: string;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** `:name` segments of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  /**
   * A real AbortSignal (`AbortSignal.any`, Node's abortable APIs and undici take it), aborted once,
   * with a GatewayError as its `reason` that says why:
   * - `client_disconnected` (499) when the caller closes the connection before the answer is complete;
   * - `upstream_timeout` (504) when `server.request_timeout_ms` runs out (a body still arriving then
   *   is answered 408 `request_timeout` by `readJson`, the caller being the slow one).
   * Work done for the request stops when it aborts; an error to report is the reason itself.
   */
  readonly signal: AbortSignal;
  /**
   * The request's abort behind `signal`, when the server keeps one: whether and why the request
   * aborted, read without making the AbortSignal (see RequestAbort), for the request context.
   */
  readonly abort?: RequestAbort;
  /**
   * Reads and parses the JSON body within `server.max_body_bytes`, `server.body_idle_timeout_ms`
   * and the request's signal. Throws GatewayError: `body_too_large`, `request_timeout`,
   * `client_disconnected`, `unsupported_media_type`, `invalid_json`.
   */
  readJson(): Promise<unknown>;
  /** The JSON body's bytes, unparsed (parse them with parseJsonBody): read as `readJson` reads them, with the same errors but `invalid_json`. */
  readJsonBytes(): Promise<Buffer>;
  /** Reads the body as bytes, whatever its type, within the same limits as `readJson` and with the same errors but `invalid_json`. */
  readBytes(): Promise<Buffer>;
}

export type HttpHandler = (exchange: HttpExchange) => Promise<void> | void;

/**
 * Renders a GatewayError in one API's own envelope. An API whose callers read the error's kind from
 * a header or expect statuses of its own (Bedrock: `x-amzn-errortype`, AccessDeniedException 403)
 * adds `status` and `headers`; every writer of error answers (sendError, endSocketWithError) applies them.
 */
export interface ErrorRenderer {
  (error: GatewayError): unknown;
  /** The HTTP status to answer with, when not the error's own. */
  status?: (error: GatewayError) => number;
  /** Headers the envelope adds. */
  headers?: (error: GatewayError) => Record<string, string>;
}

/** A path that takes HTTP upgrades (WebSocket). The handler owns the socket from then on. */
export interface UpgradeRoute {
  /** Exact path, without the query string. */
  path: string;
  /**
   * `refuse` answers an error instead of upgrading, in the envelope of the path's prefix and with
   * the headers of every gateway error (`x-request-id`, `x-tollgate-error-code`, …), then closes.
   * `requestId` is the upgrade's `x-request-id`: the caller's when it is a sane token, else one made as for every request.
   */
  handler(request: IncomingMessage, socket: Duplex, head: Buffer, refuse: (error: GatewayError) => void, requestId: string): void;
}

/**
 * What every path under a prefix shares, whether a route exists there or not: the envelope of the
 * errors the server answers itself (404, 405, 408, 413, `shutting_down`, a refused upgrade), and
 * for the admin API a check run before any of them, so that a caller without the token cannot
 * learn which paths exist.
 *
 * @example { prefix: '/anthropic', renderError: encodeAnthropicError }
 */
export interface PathPrefix {
  /** Whole leading segments: `/anthropic` covers `/anthropic` and `/anthropic/…`, not `/anthropics`. */
  prefix: string;
  renderError: ErrorRenderer;
  /** Refuses a request under the prefix before the server answers 404 or 405 or takes an upgrade. */
  authorize?: (headers: IncomingHttpHeaders, method?: string) => GatewayError | undefined;
}

export interface HttpRoute {
  method: HttpMethod;
  /** Literal segments, `:param` segments (`/admin/keys/:id`) and a final `*rest` segment matching the remainder. */
  path: string;
  handler: HttpHandler;
  /** The envelope errors on this route are rendered in (OpenAI's by default). */
  renderError?: ErrorRenderer;
  /**
   * The handler's responses carry `x-request-id`, `x-tollgate-provider` and `x-tollgate-model`
   * themselves (the pipeline's surfaces build every header into one object). The server then sets
   * none ahead of the handler, which lets Node write the response head on its fast path.
   */
  ownsHeaders?: boolean;
  /** What the OpenAPI document says of the route (every admin route has one). */
  description?: RouteDescription;
}
