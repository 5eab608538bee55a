import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { constants as http2Constants, createServer as createHttp2Server, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { GatewayError, toGatewayError } from '../spec/index.js';
import type { Duplex } from 'node:stream';
import type { ErrorRenderer, HttpExchange, UpgradeRoute } from '../http/http-route.js';
import type { Logger } from '../lib/logger.js';
import { NOT_SERVED } from '../pipeline/context.js';
import { readRequestBody } from '../http/read-body.js';
import { readJsonBody, readJsonBytes } from '../http/read-json.js';
import type { BodyLimits } from '../http/read-body.js';
import { BodyWatch } from '../http/body-watch.js';
import { RequestAbort } from '../http/request-abort.js';
import { discardBody, hasBody } from '../http/discard-body.js';
import { endSocketWithError } from '../http/socket-error.js';
import { requestIdFrom } from './request-id.js';
import { WORKER_PID } from '../lib/cluster-ipc.js';
import { sendError } from '../http/respond.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { RouteTable } from './route-table.js';
import { sniffProtocol } from './protocol-sniff.js';

/** `x-tollgate-provider` and `x-tollgate-model` of a response no provider served (errors, /health, /v1/models). */

export interface HttpServerOptions {
  routes: RouteTable;
  logger: Logger;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /** How long a caller may take to send the request line and headers (`server.header_timeout_ms`). */
  headerTimeoutMs: number;
  /** Longest silence between two chunks of a request body (`server.body_idle_timeout_ms`). */
  bodyIdleTimeoutMs: number;
  /** WebSocket (upgrade) endpoints by exact path. */
  upgrades?: readonly UpgradeRoute[];
  /** PEM certificate chain and key: the port then speaks TLS only, HTTP/2 or HTTP/1.1 by ALPN. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** How long requests cut at the end of the shutdown grace get to unwind (they only clean up: nothing waits on an upstream). */
const ABORTED_UNWIND_MS = 1_000;

/**
 * The gateway's HTTP front: request ids, routing, error envelopes by path prefix, body limits,
 * timeouts for slow callers (headers, stalled bodies), per-request abort signals, and draining on
 * shutdown. Handlers never see a request the server is not ready to finish.
 */
export class HttpServer {
  readonly server: Server;
  /** HTTP/2 (cleartext, prior knowledge) on the same port: connections starting with its preface are handed here. */
  readonly http2: Http2Server;
  private readonly sessions = new Set<ServerHttp2Session>();
  private inFlight = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly bodyLimits: BodyLimits;

  constructor(private readonly options: HttpServerOptions) {
    this.bodyLimits = { maxBytes: options.maxBodyBytes, watch: new BodyWatch(options.bodyIdleTimeoutMs) };
    // Node times headers out itself (`clientError` with ERR_HTTP_REQUEST_TIMEOUT, answered 408 below),
    // checking every `connectionsCheckingInterval` (30 s by default, far too coarse for a 10 s limit).
    // Its `requestTimeout` stays off: bodies are timed by readJsonBody, which answers in the route's
    // dialect, and by the exchange's signal; bodies no handler reads by discardUnread.
    this.server = createServer(
      {
        keepAliveTimeout: 65_000,
        requestTimeout: 0,
        headersTimeout: options.headerTimeoutMs,
        connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(options.headerTimeoutMs / 4))),
      },
      (request, response) => {
        void this.handle(request, response);
      },
    );
    // Every route over HTTP/2 too (the AWS SDKs' default handler speaks it): the same handler gets
    // Node's compatibility request and response, which have the API of their HTTP/1.1 counterparts.
    // At most 128 streams at once per connection (Node's default is unbounded); each is a request in flight.
    this.http2 = createHttp2Server({ settings: { maxConcurrentStreams: 128 } }, (request, response) => {
      dropConnectionHeaders(response);
      void this.handle(request as unknown as IncomingMessage, response as unknown as ServerResponse, true);
    });
    this.http2.on('session', (session: ServerHttp2Session) => {
      this.sessions.add(session);
      // As HTTP/1.1's keep-alive: an idle connection is closed (GOAWAY) after 65 s.
      session.setTimeout(65_000, () => session.close());
      session.once('close', () => this.sessions.delete(session));
      if (this.draining) session.close();
    });
    // The listening server is the HTTP/1.1 one; each connection is sniffed for the HTTP/2 preface
    // before Node's HTTP/1.1 connection handler (which tracks it for header timeouts) gets it.
    const http1Connection = this.server.listeners('connection')[0] as (socket: Socket) => void;
    this.server.removeListener('connection', http1Connection);
    // TLS (when configured) is terminated by a tls.Server that never listens: connections whose first
    // byte starts a handshake are handed to it, and what it negotiated by ALPN picks the server after it.
    const tlsServer: TlsServer | undefined =
      options.tls === undefined
        ? undefined
        : createTlsServer({ cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ['h2', 'http/1.1'], handshakeTimeout: options.headerTimeoutMs }, (secure: TLSSocket) => {
            secure.setNoDelay(true);
            if (secure.alpnProtocol === 'h2') this.http2.emit('connection', secure);
            else http1Connection.call(this.server, secure);
          });
    tlsServer?.on('tlsClientError', (_error: Error, secure: TLSSocket) => secure.destroy());
    this.server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      const http1 = (accepted: Socket) => http1Connection.call(this.server, accepted);
      const http2 = (accepted: Socket) => this.http2.emit('connection', accepted);
      const silent = (quiet: Socket) => endSocketWithError(quiet, clientErrorFor(Object.assign(new Error('silent'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), options.headerTimeoutMs), encodeOpenAIError, notServedHeaders(randomUUID()));
      if (tlsServer === undefined) return sniffProtocol(socket, options.headerTimeoutMs, http1, http2, silent);
      // With TLS the port speaks nothing else: a cleartext request (`http://` by mistake) is
      // answered 400 in plain text, never served, since its headers crossed the network in the clear.
      sniffProtocol(socket, options.headerTimeoutMs, (plain) => endSocketWithError(plain, new GatewayError('invalid_request', 'This port speaks TLS: use https://.'), encodeOpenAIError, notServedHeaders(randomUUID())), (plain) => plain.destroy(), silent, (encrypted) => tlsServer.emit('connection', encrypted));
    });
    const upgrades = new Map((options.upgrades ?? []).map((route) => [route.path, route]));
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const rawUrl = request.url ?? '/';
      const queryAt = rawUrl.indexOf('?');
      const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
      const prefix = options.routes.prefixOf(path);
      const requestId = requestIdFrom(request.headers['x-request-id']);
      const refuse = (error: GatewayError) => endSocketWithError(socket, error, prefix?.renderError ?? encodeOpenAIError, notServedHeaders(requestId));
      if (this.draining) return refuse(shuttingDown());
      const refused = prefix?.authorize?.(request.headers);
      if (refused !== undefined) return refuse(refused);
      const route = upgrades.get(path);
      if (route === undefined) return refuse(new GatewayError('route_not_found', `No WebSocket endpoint at ${truncate(path)}.`));
      route.handler(request, socket, head, refuse, requestId);
    });
    this.server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
      // A pipelined request gone wrong while an earlier response is being written: an error written
      // now would land inside that response (Node's own handler checks the same internal field).
      if ((socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true) return socket.destroy();
      // The packet the parser failed on may start with the request line, whose path picks the envelope.
      const path = error.rawPacket === undefined ? undefined : /^[A-Z]+ (\/[^ ?#]*)/.exec(error.rawPacket.toString('latin1', 0, 2048))?.[1];
      const render = (path === undefined ? undefined : options.routes.prefixOf(path)?.renderError) ?? encodeOpenAIError;
      endSocketWithError(socket, clientErrorFor(error, options.headerTimeoutMs), render, notServedHeaders(randomUUID()));
    });
  }

  get activeRequests(): number {
    return this.inFlight;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? { port: address.port, host: address.address } : { port, host });
      });
    });
  }

  /**
   * Stops taking requests, waits up to `graceMs` for in-flight requests and streams to finish,
   * then closes what is left.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // GOAWAY: an HTTP/2 session finishes its open streams, takes no new ones, then closes.
    for (const session of this.sessions) session.close();
    const deadline = Date.now() + graceMs;
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((resolve) => this.idleWaiters.push(resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    // An HTTP/2 session sends what its streams wrote after the handlers returned; it closes by itself
    // once they are sent (GOAWAY above), within what is left of the grace.
    if (this.sessions.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const sessionsClosed = Promise.all([...this.sessions].map((session) => new Promise<void>((resolve) => (session.destroyed ? resolve() : session.once('close', () => resolve())))));
      await Promise.race([sessionsClosed, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline - Date.now())))]);
      clearTimeout(timer);
    }
    for (const socket of this.sockets) socket.destroy();
    // The requests still running were just aborted with their sockets. Let them unwind (release their
    // reservations, hand over their log records) before the gateway closes the ledger and the log
    // under them: cut off there, a reservation stayed in the ledger and was charged at its TTL.
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((resolve) => this.idleWaiters.push(resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, ABORTED_UNWIND_MS)))]);
      clearTimeout(timer);
    }
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse, http2 = false): Promise<void> {
    const requestId = requestIdFrom(request.headers['x-request-id']);
    const rawUrl = request.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const method = request.method ?? 'GET';

    if (this.draining) {
      setDefaultHeaders(response, requestId);
      return this.refuse(request, response, shuttingDown(), this.renderErrorAt(path), { connection: 'close' });
    }
    const match = this.options.routes.match(method, path);
    if (match.kind !== 'found') {
      setDefaultHeaders(response, requestId);
      const prefix = this.options.routes.prefixOf(path);
      const render = prefix?.renderError ?? encodeOpenAIError;
      // Under the admin prefix the token comes first: without it, every path answers alike.
      const refused = prefix?.authorize?.(request.headers, method);
      if (refused !== undefined) return this.refuse(request, response, refused, render);
      if (match.kind === 'method-not-allowed') {
        return this.refuse(request, response, new GatewayError('method_not_allowed', `${method} is not allowed on ${truncate(path)}; use ${match.allowed.join(' or ')}.`), render, { allow: match.allowed.join(', ') });
      }
      return this.refuse(request, response, new GatewayError('route_not_found', `No endpoint at ${method} ${truncate(path)}.`), render);
    }

    const { route, params } = match;
    if (route.ownsHeaders !== true) setDefaultHeaders(response, requestId);
    else if (WORKER_PID !== undefined) response.setHeader('x-tollgate-worker', WORKER_PID);
    // The AbortSignal itself is made only if something asks for it (see RequestAbort).
    const abort = new RequestAbort();
    // Over HTTP/2 a stream the caller reset still emits 'finish' before 'close': only whether the
    // handler ended the answer tells the two apart there.
    response.once('close', () => {
      if (http2 ? !response.writableEnded : !response.writableFinished) abort.abort(new GatewayError('client_disconnected', 'The caller closed the connection before the answer was complete.'));
    });
    const timer = setTimeout(() => abort.abort(new GatewayError('upstream_timeout', `The request did not finish within ${this.options.requestTimeoutMs} ms (server.request_timeout_ms).`)), this.options.requestTimeoutMs);
    timer.unref();
    const exchange = new Exchange(request, response, requestId, method, path, rawUrl, queryAt, params, abort, this.bodyLimits);
    this.inFlight++;
    try {
      await route.handler(exchange);
    } catch (error) {
      const failure = toGatewayError(error);
      if (failure.code === 'internal_error') this.options.logger.error('unhandled error', { request_id: requestId, path, error });
      if (!response.headersSent) {
        if (route.ownsHeaders === true) setDefaultHeaders(response, requestId);
        sendError(response, failure, route.renderError ?? this.renderErrorAt(path));
      }
      else response.end();
    } finally {
      clearTimeout(timer);
      this.inFlight--;
      if (this.inFlight === 0 && this.idleWaiters.length > 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      if (!request.complete) void this.discardUnread(request);
    }
  }

  /** The envelope of errors under `path`: its prefix's, or OpenAI's. */
  private renderErrorAt(path: string): ErrorRenderer {
    return this.options.routes.prefixOf(path)?.renderError ?? encodeOpenAIError;
  }

  /**
   * Answers a request no handler takes (unknown path, wrong method, shutting down). A body is read
   * and dropped first, within bounds, so that clients still sending it see the answer; the
   * connection is closed when it could not be read to its end.
   */
  private async refuse(request: IncomingMessage, response: ServerResponse, error: GatewayError, render: ErrorRenderer, headers: Record<string, string> = {}): Promise<void> {
    if (hasBody(request) && !(await discardBody(request, { idleTimeoutMs: this.options.bodyIdleTimeoutMs }))) headers.connection = 'close';
    sendError(response, error, render, headers);
  }

  /**
   * A body the handler answered without reading (a refused key, say). Node would read and drop it
   * for as long as the caller sends, holding the connection; here the same bounds as for an
   * oversized body apply, past which the connection is closed.
   */
  private async discardUnread(request: IncomingMessage): Promise<void> {
    if (await discardBody(request, { idleTimeoutMs: this.options.bodyIdleTimeoutMs })) return;
    // Over HTTP/2 only this request's stream is closed; the connection carries others.
    const stream = (request as unknown as Partial<Http2ServerRequest>).stream;
    if (stream !== undefined) stream.close(http2Constants.NGHTTP2_CANCEL);
    else request.socket.destroySoon();
  }
}

function shuttingDown(): GatewayError {
  return new GatewayError('shutting_down', 'The gateway is shutting down; retry on another instance.', { retryAfterMs: 1000 });
}

function notServedHeaders(requestId: string): Record<string, string> {
  return { 'x-request-id': requestId, 'x-tollgate-provider': NOT_SERVED, 'x-tollgate-model': NOT_SERVED };
}

/** The answer to a request Node's parser refused or timed out before any handler saw it. */
function clientErrorFor(error: NodeJS.ErrnoException, headerTimeoutMs: number): GatewayError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new GatewayError('request_timeout', `The request line and headers did not arrive within ${headerTimeoutMs} ms (server.header_timeout_ms).`);
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') return new GatewayError('invalid_request', 'The request headers are too large.', { status: 431 });
  return new GatewayError('invalid_request', 'Malformed HTTP request.');
}

/**
 * One exchange as handlers see it. A class, not an object literal with a getter: with the literal,
 * about 2.4 KB per request (the request, the response, their headers) was promoted to the old
 * generation, against 0.1 KB without the getter (`--trace-gc-nvp`, measured by bisecting this
 * function), and none of it showed in heap snapshots. In a literal the getter is a new closure each
 * time and accessors are kept in an object's map, so most likely each exchange got a map of its
 * own, allocated in the old generation, whose pointer to the closure kept the closure's scope alive
 * in every young-generation collection until a full one. On a class the getter is on the prototype.
 */
class Exchange implements HttpExchange {
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    readonly requestId: string,
    readonly method: string,
    readonly path: string,
    private readonly rawUrl: string,
    private readonly queryAt: number,
    readonly params: Readonly<Record<string, string>>,
    readonly abort: RequestAbort,
    private readonly bodyLimits: BodyLimits,
  ) {}

  /** Made on first use (RequestAbort): a request nobody listens to for an abort makes no AbortSignal. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Parsed on first use: chat routes never read it, and URLSearchParams is not free. */
  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.queryAt === -1 ? '' : this.rawUrl.slice(this.queryAt + 1)));
  }

  readJson(): Promise<unknown> {
    return readJsonBody(this.request, this.bodyLimits, this.abort);
  }

  readJsonBytes(): Promise<Buffer> {
    return readJsonBytes(this.request, this.bodyLimits, this.abort);
  }

  readBytes(): Promise<Buffer> {
    return readRequestBody(this.request, this.bodyLimits, this.abort);
  }
}

/**
 * HTTP/2 has no connection-specific headers (RFC 9113 §8.2.2): Node drops `connection` and warns.
 * The routes set `connection: close` (after a refused body) and `keep-alive` (streams) for HTTP/1.1;
 * over HTTP/2 they are left out here instead.
 */
function dropConnectionHeaders(response: Http2ServerResponse): void {
  const writeHead = response.writeHead.bind(response) as (status: number, headers?: Record<string, unknown>) => Http2ServerResponse;
  (response as unknown as { writeHead: typeof writeHead }).writeHead = (status, headers) => {
    if (headers !== undefined && ('connection' in headers || 'keep-alive' in headers)) {
      const { connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers;
      return writeHead(status, rest);
    }
    return writeHead(status, headers);
  };
}

/** The request id and the not-served provider and model, for responses written without a request context. */
function setDefaultHeaders(response: ServerResponse, requestId: string): void {
  response.setHeader('x-request-id', requestId);
  response.setHeader('x-tollgate-provider', NOT_SERVED);
  response.setHeader('x-tollgate-model', NOT_SERVED);
  if (WORKER_PID !== undefined) response.setHeader('x-tollgate-worker', WORKER_PID);
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
