import type { DecodedEvent } from '../pipeline/chat-attempt.js';
import type { ChatSink } from '../pipeline/chat-sink.js';
import { costHeader, type RequestContext } from '../pipeline/context.js';
import type { ChatResponse, GatewayError, StreamPart } from '../spec/index.js';
import type { ErrorRenderer, HttpExchange } from '../http/http-route.js';
import { sendError } from '../http/respond.js';
import { responseHeaders } from './response-headers.js';

/** Spec stream parts → binary event-stream frames; one per stream. */
export interface FrameEncoder {
  encode(part: StreamPart): Buffer[];
  /** Closing frames after the last part (not called after an error part). */
  end(): Buffer[];
}

export interface EventStreamSinkOptions {
  /** The dialect answers are in; when the upstream speaks it, a complete answer's body is forwarded as received. */
  dialect: string;
  /** A complete answer → its JSON body text. */
  renderComplete(context: RequestContext, response: ChatResponse): string;
  createEncoder(context: RequestContext): FrameEncoder;
  renderError: ErrorRenderer;
}

/**
 * Renders pipeline output for AWS callers: complete answers as JSON, streams as
 * `application/vnd.amazon.eventstream` frames (Bedrock's streaming operations). Stream events are
 * always re-encoded from their parts, even from an upstream of the same dialect: the frames are
 * written here, with their CRCs, never copied.
 */
export class EventStreamSink implements ChatSink {
  readonly dialect: string;
  private encoder: FrameEncoder | undefined;
  private failed = false;
  private streamContext: RequestContext | undefined;

  constructor(
    private readonly exchange: HttpExchange,
    private readonly options: EventStreamSinkOptions,
  ) {
    this.dialect = options.dialect;
  }

  complete(context: RequestContext, response: ChatResponse, raw: string | Buffer | undefined): void {
    const body = raw ?? this.options.renderComplete(context, response);
    const headers = responseHeaders(context);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    this.exchange.response.writeHead(200, headers);
    this.exchange.response.end(body);
  }

  startStream(context: RequestContext): void {
    const http = this.exchange.response;
    this.streamContext = context;
    http.writeHead(200, { ...responseHeaders(context), trailer: 'x-tollgate-cost', 'content-type': 'application/vnd.amazon.eventstream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    http.flushHeaders();
    this.encoder = this.options.createEncoder(context);
  }

  event(event: DecodedEvent): void | Promise<void> {
    if (this.failed) return;
    const frames: Buffer[] = [];
    for (const part of event.parts) {
      frames.push(...this.encoder!.encode(part));
      if (part.type === 'error') this.failed = true;
    }
    return this.write(frames);
  }

  streamError(error: GatewayError): void {
    if (this.failed) return;
    this.failed = true;
    void this.write(this.encoder!.encode({ type: 'error', error }));
  }

  endStream(): void {
    const http = this.exchange.response;
    if (!this.failed && !http.writableEnded) void this.write(this.encoder!.end());
    const cost = this.streamContext?.cost;
    if (!http.writableEnded && !http.destroyed) {
      http.addTrailers({ 'x-tollgate-cost': costHeader(cost) });
      http.end();
    }
  }

  fail(context: RequestContext, error: GatewayError): void {
    const http = this.exchange.response;
    if (http.headersSent) {
      if (this.encoder !== undefined && !this.failed && !http.writableEnded) {
        this.failed = true;
        void this.write(this.encoder.encode({ type: 'error', error }));
      }
      http.end();
      return;
    }
    sendError(http, error, this.options.renderError, responseHeaders(context));
  }

  private write(frames: Buffer[]): void | Promise<void> {
    const http = this.exchange.response;
    // Over HTTP/2 the response has no `destroyed`; the signal has aborted once the caller left.
    if (frames.length === 0 || http.writableEnded || http.destroyed || this.exchange.signal.aborted) return;
    const bytes = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    if (http.write(bytes)) return;
    return new Promise((resolve) => {
      const done = () => {
        http.off('drain', done);
        http.off('close', done);
        resolve();
      };
      http.once('drain', done);
      http.once('close', done);
    });
  }
}
