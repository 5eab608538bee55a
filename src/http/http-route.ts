import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GatewayError } from '../spec/index.js';
import type { RouteDescription } from './route-description.js';

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
  /** Aborted when the caller disconnects or the gateway times the request out. */
  readonly signal: AbortSignal;
  /** Reads and parses the JSON body within `server.max_body_bytes`. Throws GatewayError. */
  readJson(): Promise<unknown>;
}

export type HttpHandler = (exchange: HttpExchange) => Promise<void> | void;

/** Renders a GatewayError in one API's own envelope. */
export type ErrorRenderer = (error: GatewayError) => unknown;

/** A path that takes HTTP upgrades (WebSocket). The handler owns the socket from then on. */
export interface UpgradeRoute {
  /** Exact path, without the query string. */
  path: string;
  handler(request: IncomingMessage, socket: Duplex, head: Buffer): void;
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
