import type { ChatResponse, GatewayError, StreamPart } from '../spec/index.js';
import type { DecodedEvent } from './chat-attempt.js';
import type { ChatSink } from './chat-sink.js';
import type { RequestContext } from './context.js';
import { ResponseAssembler } from './response-assembler.js';

/**
 * Where an answer the gateway keeps for itself goes (a conducted request's turn, a batch line run
 * through the pipeline): kept whole, or assembled from its stream, with streamed parts told to
 * `onPart` as they come. Never forwards upstream bytes (its dialect is no upstream's).
 */
export class CollectingSink implements ChatSink {
  readonly dialect = 'internal';
  response: ChatResponse | undefined;
  error: GatewayError | undefined;
  private readonly assembler = new ResponseAssembler();

  constructor(
    private readonly onPart?: (part: StreamPart) => void | Promise<void>,
    /** The request is answered (its served target is known). */
    private readonly onServed?: (context: RequestContext) => void,
  ) {}

  complete(context: RequestContext, response: ChatResponse): void {
    this.onServed?.(context);
    this.response = response;
  }

  startStream(context: RequestContext): void {
    this.onServed?.(context);
  }

  async event(event: DecodedEvent): Promise<void> {
    for (const part of event.parts) {
      if (part.type === 'error') {
        this.error ??= part.error;
        continue;
      }
      this.assembler.add(part);
      if (this.onPart !== undefined) await this.onPart(part);
    }
  }

  streamError(error: GatewayError): void {
    this.error ??= error;
  }

  endStream(): void {
    if (this.error === undefined) this.response = this.assembler.response();
  }

  fail(_context: RequestContext, error: GatewayError): void {
    this.error ??= error;
  }
}
