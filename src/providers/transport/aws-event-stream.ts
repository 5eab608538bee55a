import type { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { WireEvent } from '../../codecs/codec.js';

/**
 * Parses an AWS event-stream body (`application/vnd.amazon.eventstream`, used by Bedrock's
 * ConverseStream) into events. Each binary frame is `total length (4) | headers length (4) |
 * prelude CRC (4) | headers | payload | message CRC (4)`, big-endian
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html). Frames are cut from
 * the byte stream here by their length prefix and decoded (CRCs checked) by the official
 * @smithy/eventstream-codec.
 *
 * - `:message-type: event` → `{ event: <:event-type>, data: <payload> }`
 * - `:message-type: exception` → `{ event: 'exception:<:exception-type>', data: <payload> }`
 * - `:message-type: error` → `{ event: 'error:<:error-code>', data: '{"message": <:error-message>}' }`
 *
 * The prefixes keep failures apart from events of the same name; codecs recognise them. A frame cut
 * off by the end of the body is dropped (the codec's decoder then reports the stream as incomplete);
 * a corrupt frame (bad CRC, impossible length) throws, which the pipeline turns into a stream error.
 */
export const EXCEPTION_EVENT_PREFIX = 'exception:';
export const ERROR_EVENT_PREFIX = 'error:';

const PRELUDE_BYTES = 12;
const MINIMUM_FRAME_BYTES = 16;
/** The event-stream format caps a message at 16 MiB plus framing; a larger length means a corrupt stream. */
const MAXIMUM_FRAME_BYTES = 16 * 1024 * 1024 + 128 * 1024;

/** Loaded with the first event-stream body, so gateways without Bedrock never load the AWS codec. */
let codec: EventStreamCodec | undefined;

async function frameCodec(): Promise<EventStreamCodec> {
  const { EventStreamCodec: Codec } = await import('@smithy/eventstream-codec');
  return (codec ??= new Codec(toUtf8, fromUtf8));
}

type Message = ReturnType<EventStreamCodec['decode']>;
type MessageHeaderValue = Message['headers'][string];

function headerText(value: MessageHeaderValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.type === 'string' ? value.value : undefined;
}

/** One decoded frame → a WireEvent (see the module comment for the naming). */
export function wireEventOf(message: Message): WireEvent {
  const headers = message.headers;
  const kind = headerText(headers[':message-type']) ?? 'event';
  if (kind === 'exception') return { event: `${EXCEPTION_EVENT_PREFIX}${headerText(headers[':exception-type']) ?? 'unknown'}`, data: toUtf8(message.body) };
  if (kind === 'error') {
    const code = headerText(headers[':error-code']) ?? 'unknown';
    return { event: `${ERROR_EVENT_PREFIX}${code}`, data: JSON.stringify({ message: headerText(headers[':error-message']) ?? code }) };
  }
  const event = headerText(headers[':event-type']);
  return event === undefined ? { data: toUtf8(message.body) } : { event, data: toUtf8(message.body) };
}

export async function* parseAwsEventStream(body: AsyncIterable<Buffer | string>): AsyncGenerator<WireEvent> {
  const decoder = codec ?? (await frameCodec());
  let buffer: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    buffer = buffer.length === 0 ? bytes : Buffer.concat([buffer, bytes]);
    while (buffer.length >= PRELUDE_BYTES) {
      const total = buffer.readUInt32BE(0);
      if (total < MINIMUM_FRAME_BYTES || total > MAXIMUM_FRAME_BYTES) throw new Error(`event-stream frame of impossible length ${total}`);
      if (buffer.length < total) break;
      const frame = buffer.subarray(0, total);
      buffer = buffer.subarray(total);
      yield wireEventOf(decoder.decode(frame));
    }
  }
}
