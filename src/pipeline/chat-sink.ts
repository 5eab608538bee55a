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
  complete(context: RequestContext, response: ChatResponse, raw: string | undefined): void;
  startStream(context: RequestContext): void;
  /** One upstream event. Resolves when the caller's socket can take more (backpressure). */
  event(event: DecodedEvent, passthrough: boolean): void | Promise<void>;
  /** Emits an error part inside an open stream. */
  streamError(error: GatewayError): void;
  endStream(passthrough: boolean): void;
  fail(context: RequestContext, error: GatewayError): void;
}

export type { StreamPart };
