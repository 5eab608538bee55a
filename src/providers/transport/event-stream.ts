import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import type { WireEvent } from '../../codecs/codec.js';
import { GatewayError } from '../../spec/index.js';
import { budgetExhausted, BudgetHold, formatBytes } from './body-budget.js';

/**
 * The largest single stream event accepted: an SSE event (its lines up to the blank line that ends
 * it) or an AWS event-stream frame. Real events are deltas of a few hundred bytes, a whole tool
 * call or an inline image at most. Without a bound, an upstream sending a `data:` line that never
 * ends would be buffered until the process ran out of memory: the idle timeout never fires while
 * bytes keep arriving. Past it the attempt fails with `upstream_invalid_response`: before anything
 * reached the caller the router tries the next target; after, the caller's stream ends with an error.
 */
export const MAX_EVENT_BYTES = 8 * 1024 * 1024;

export function eventTooLarge(where: string, bytes: number, limitBytes: number = MAX_EVENT_BYTES): GatewayError {
  return new GatewayError('upstream_invalid_response', `${where} sent a stream event of more than ${formatBytes(limitBytes)} (${bytes} bytes so far), the most Tollgate buffers for one event.`, {
    retryable: true,
  });
}

/**
 * Parses an SSE body into events with eventsource-parser. An event cut off by the end of the body
 * is dropped, as the SSE spec says; the codec's decoder then reports the stream as incomplete.
 *
 * The parser holds the event being received (its data lines and the unfinished line) within
 * `maxEventBytes` characters (a character is at least one byte of UTF-8). Those bytes also count
 * against the process-wide upstream buffer budget, estimated from the chunks fed since the last
 * complete event or comment: after a chunk that completed one, at most that chunk is still pending.
 */
export async function* parseServerSentEvents(body: AsyncIterable<Buffer | string>, where = 'The provider', maxEventBytes: number = MAX_EVENT_BYTES): AsyncGenerator<WireEvent> {
  const pending: WireEvent[] = [];
  let progressed = false;
  let overflow = false;
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      pending.push(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data });
      progressed = true;
    },
    onComment() {
      progressed = true;
    },
    onError(error: ParseError) {
      // Unknown fields and bad `retry:` values are ignored, as the SSE spec says; only an overflow ends the stream.
      if (error.type === 'max-buffer-size-exceeded') overflow = true;
    },
    maxBufferSize: maxEventBytes,
  });
  const decoder = new TextDecoder();
  const held = new BudgetHold();
  let received = 0;
  try {
    for await (const chunk of body) {
      progressed = false;
      parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      received = progressed ? chunk.length : received + chunk.length;
      if (overflow) throw eventTooLarge(where, received, maxEventBytes);
      if (!held.hold(received)) throw budgetExhausted(where);
      while (pending.length > 0) yield pending.shift()!;
    }
    parser.feed(decoder.decode());
    while (pending.length > 0) yield pending.shift()!;
  } finally {
    held.release();
  }
}
