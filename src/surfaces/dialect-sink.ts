import type { ChatCodec, StreamEncoder, WireEvent } from '../codecs/codec.js';
import { sseFrame } from '../codecs/sse-frame.js';
import type { DecodedEvent } from '../pipeline/chat-attempt.js';
import type { ChatSink } from '../pipeline/chat-sink.js';
import { costHeader, type RequestContext } from '../pipeline/context.js';
import type { ChatResponse, GatewayError } from '../spec/index.js';
import type { HttpExchange } from '../http/http-route.js';
import { sendError } from '../http/respond.js';
import { responseHeaders } from './response-headers.js';

/**
 * Renders pipeline output in one dialect over HTTP. When the upstream speaks the caller's dialect,
 * response bodies and stream events are forwarded as received (usage-only events the caller did
 * not ask for are held back); otherwise everything is re-encoded through the codec.
 */
export class DialectSink implements ChatSink {
  readonly dialect: string;
  private encoder: StreamEncoder | undefined;
  private streamContext: RequestContext | undefined;
  /** Whether streams end with usage: always in some dialects, else when the request asks (`stream_options.include_usage`). */
  private includeUsage: boolean;
  /** Forwarded upstream events held back until the cost is known (StreamEncoder.holdsForCost): the stream's last ones. */
  private held: WireEvent[] | undefined;

  constructor(
    private readonly exchange: HttpExchange,
    private readonly codec: ChatCodec,
    private readonly alwaysIncludeUsage: boolean,
  ) {
    this.dialect = codec.dialect;
    this.includeUsage = alwaysIncludeUsage;
  }

  complete(context: RequestContext, response: ChatResponse, raw: string | Buffer | undefined): void {
    const body = raw ?? JSON.stringify(this.codec.encodeResponse(response, response.model, context.chatRequest?.conversation?.echo));
    const { response: http } = this.exchange;
    const headers = responseHeaders(context);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    http.writeHead(200, headers);
    http.end(body);
  }

  /** The whole answer's body, unless the request echoes fields of its own into it (Responses). */
  render(context: RequestContext, response: ChatResponse): string | undefined {
    if (context.chatRequest?.conversation !== undefined) return undefined;
    return JSON.stringify(this.codec.encodeResponse(response, response.model, undefined));
  }

  startStream(context: RequestContext): void {
    const http = this.exchange.response;
    this.streamContext = context;
    this.includeUsage = this.alwaysIncludeUsage || context.chatRequest?.includeUsage === true;
    // A stream's cost is known only at its end: it travels as an HTTP trailer.
    http.writeHead(200, { ...responseHeaders(context), trailer: 'x-tollgate-cost', 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    http.flushHeaders();
    const model = context.served?.model ?? context.requestedModel ?? 'unknown';
    // A response kept for later (stored responses) has its id already; other streams are named after the request.
    const conversation = context.chatRequest?.conversation;
    this.encoder = this.codec.createStreamEncoder({
      model,
      id: conversation?.responseId ?? `chatcmpl-${context.id}`,
      created: Math.floor(context.receivedAt / 1000),
      includeUsage: this.includeUsage,
      ...(conversation === undefined ? {} : { echo: conversation.echo }),
    });
  }

  event(event: DecodedEvent, passthrough: boolean): void | Promise<void> {
    let text: string;
    if (passthrough && event.raw !== undefined) {
      const usageOnly = event.parts.length > 0 && event.parts.every((part) => part.type === 'usage');
      if (!this.includeUsage && usageOnly) return;
      if (this.encoder!.holdsForCost(event.raw, event.parts)) {
        (this.held ??= []).push(event.raw);
        return;
      }
      text = this.releaseHeld() + sseFrame(event.raw);
      // The upstream's own error event ends the stream in this dialect; the encoder, which did not
      // write it, must not add an ending of its own after it (a message_stop that reads as success).
      for (const part of event.parts) if (part.type === 'error') this.encoder!.encode(part);
    } else {
      text = '';
      for (const part of event.parts) text += this.encoder!.encode(part);
      if (text.length === 0) return;
      // Parts the decoder reports at the end (usage) encode to nothing; anything else follows what was held.
      text = this.releaseHeld() + text;
    }
    return this.write(text);
  }

  streamError(error: GatewayError): void {
    void this.write(this.releaseHeld() + this.encoder!.encode({ type: 'error', error }));
  }

  /**
   * Ends the stream with its cost: in the last event (docs/observability.md, "Cost in streams") and as
   * the `x-tollgate-cost` HTTP trailer, the same text.
   */
  endStream(passthrough: boolean): void {
    const http = this.exchange.response;
    const context = this.streamContext;
    const cost = context?.cost;
    const text = costHeader(cost);
    if (passthrough) http.write(this.encoder!.endForwarded(this.held ?? [], text, context?.usage));
    else http.write(this.releaseHeld() + this.encoder!.end(text));
    this.held = undefined;
    http.addTrailers({ 'x-tollgate-cost': text });
    http.end();
  }

  acknowledge(context: RequestContext, body: unknown): void {
    const text = JSON.stringify(body);
    const headers = responseHeaders(context);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(text));
    this.exchange.response.writeHead(200, headers);
    this.exchange.response.end(text);
  }

  /** Held events as they came, when the stream goes on after all (something followed them). */
  private releaseHeld(): string {
    const held = this.held;
    if (held === undefined) return '';
    this.held = undefined;
    let text = '';
    for (const event of held) text += sseFrame(event);
    return text;
  }

  fail(context: RequestContext, error: GatewayError): void {
    const http = this.exchange.response;
    if (http.headersSent) {
      if (this.encoder !== undefined && !http.writableEnded) {
        http.write(this.encoder.encode({ type: 'error', error }));
        http.write(this.encoder.end());
      }
      http.end();
      return;
    }
    sendError(http, error, (failure) => this.codec.encodeError(failure), responseHeaders(context));
  }

  private write(text: string): void | Promise<void> {
    const http = this.exchange.response;
    if (http.writableEnded || http.destroyed) return;
    if (http.write(text)) return;
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
