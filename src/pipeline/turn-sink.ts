import type { ChatResponse, GatewayError, StreamPart } from '../spec/index.js';
import type { DecodedEvent } from './chat-attempt.js';
import type { ChatSink } from './chat-sink.js';
import type { RequestContext } from './context.js';
import { ResponseAssembler } from './response-assembler.js';

/**
 * Where the answer of one turn of a conducted request goes: kept whole for the conductor, its
 * streamed parts told to `onPart` as they come. Never forwards upstream bytes (its dialect is no
 * upstream's).
 */
export class TurnSink implements ChatSink {
  readonly dialect = 'conducted-turn';
  response: ChatResponse | undefined;
  error: GatewayError | undefined;
  private readonly assembler = new ResponseAssembler();

  constructor(
    private readonly onPart: ((part: StreamPart) => void | Promise<void>) | undefined,
    /** The turn is answered (its served target is known). */
    private readonly onServed: (context: RequestContext) => void,
  ) {}

  complete(context: RequestContext, response: ChatResponse): void {
    this.onServed(context);
    this.response = response;
  }

  startStream(context: RequestContext): void {
    this.onServed(context);
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
