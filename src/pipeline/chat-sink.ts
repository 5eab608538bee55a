import type { ChatResponse, GatewayError, StreamPart } from '../spec/index.js';
import type { RequestContext } from './context.js';
import type { DecodedEvent } from './chat-attempt.js';

/**
 * Where the pipeline delivers a chat answer: the inbound surface, which renders it in the caller's
 * dialect. Exactly one of complete / (startStream, event*, endStream) / fail is used, except that
 * a stream may end with an error part once started.
 */
export interface ChatSink {
  /** The caller's dialect; when the upstream speaks it too, raw bytes are forwarded. */
  readonly dialect: string;
  /** Sends the whole answer: `raw` when given (the upstream's own text in the caller's dialect, or a stage's answer as bytes already rendered), else rendered now. */
  complete(context: RequestContext, response: ChatResponse, raw: string | Buffer | undefined): void;
  /**
   * The body `complete` would send for `response`, when it depends on nothing but the response
   * (undefined otherwise): a stage's answer given again is then sent as these bytes, encoded once (StageAnswer.rendered).
   */
  render?(context: RequestContext, response: ChatResponse): string | undefined;
  startStream(context: RequestContext): void;
  /** One upstream event. Resolves when the caller's socket can take more (backpressure). */
  event(event: DecodedEvent, passthrough: boolean): void | Promise<void>;
  /** Emits an error part inside an open stream. */
  streamError(error: GatewayError): void;
  endStream(passthrough: boolean): void;
  fail(context: RequestContext, error: GatewayError): void;
  /**
   * Answers at once with `body` (a whole answer object of the dialect, sent as JSON) for a request
   * that runs on without the caller (a stage's Detachment). Sinks of dialects without background
   * requests leave it out.
   */
  acknowledge?(context: RequestContext, body: unknown): void;
}

/** Where the answer of a detached request goes: nowhere (its stages and observers still see it). */
export const DETACHED_SINK: ChatSink = {
  dialect: 'detached',
  complete() {},
  startStream() {},
  event() {},
  streamError() {},
  endStream() {},
  fail() {},
};

export type { StreamPart };
