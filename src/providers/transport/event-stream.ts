import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { WireEvent } from '../../codecs/codec.js';

/**
 * Parses an SSE body into events with eventsource-parser. An event cut off by the end of the body
 * is dropped, as the SSE spec says; the codec's decoder then reports the stream as incomplete.
 */
export async function* parseServerSentEvents(body: AsyncIterable<Buffer | string>): AsyncGenerator<WireEvent> {
  const pending: WireEvent[] = [];
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      pending.push(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data });
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield pending.shift()!;
  }
  parser.feed(decoder.decode());
  while (pending.length > 0) yield pending.shift()!;
}
