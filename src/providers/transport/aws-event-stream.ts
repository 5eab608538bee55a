import type { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { WireEvent } from '../../codecs/codec.js';
import { GatewayError } from '../../spec/index.js';
import { budgetExhausted, BudgetHold, formatBytes } from './body-budget.js';
import { MAX_EVENT_BYTES } from './event-stream.js';

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
 * a corrupt frame (bad CRC) throws, which the pipeline turns into a stream error; an impossible or
 * oversized length is `upstream_invalid_response`.
 */
export const EXCEPTION_EVENT_PREFIX = 'exception:';
export const ERROR_EVENT_PREFIX = 'error:';

const PRELUDE_BYTES = 12;
const MINIMUM_FRAME_BYTES = 16;
/** The event-stream format caps a message at 16 MiB plus framing; a larger length means a corrupt stream. */
const PROTOCOL_MAXIMUM_FRAME_BYTES = 16 * 1024 * 1024 + 128 * 1024;

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

/** The total length of the frame the buffered chunks start with (its first four bytes, which may span chunks). */
function frameLength(chunks: Buffer[]): number {
  const first = chunks[0]!;
  if (first.length >= 4) return first.readUInt32BE(0);
  const head = Buffer.concat(chunks);
  chunks.length = 0;
  chunks.push(head);
  return head.readUInt32BE(0);
}

/**
 * Cuts frames from the byte stream. Chunks are kept in a list and joined once per frame (joining at
 * every chunk copies a large frame over and over). A frame may be at most `maxFrameBytes`
 * (MAX_EVENT_BYTES): a larger declared length fails the attempt with `upstream_invalid_response`
 * before its bytes are waited for. The bytes held count against the upstream buffer budget.
 */
export async function* parseAwsEventStream(body: AsyncIterable<Buffer | string>, where = 'The provider', maxFrameBytes: number = MAX_EVENT_BYTES): AsyncGenerator<WireEvent> {
  const decoder = codec ?? (await frameCodec());
  const chunks: Buffer[] = [];
  let buffered = 0;
  const held = new BudgetHold();
  try {
    for await (const chunk of body) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
      if (bytes.length === 0) continue;
      if (!held.hold(buffered + bytes.length)) throw budgetExhausted(where);
      chunks.push(bytes);
      buffered += bytes.length;
      while (buffered >= PRELUDE_BYTES) {
        const total = frameLength(chunks);
        if (total < MINIMUM_FRAME_BYTES || total > PROTOCOL_MAXIMUM_FRAME_BYTES) throw new GatewayError('upstream_invalid_response', `${where} sent an event-stream frame of impossible length ${total}.`, { retryable: true });
        if (total > maxFrameBytes) {
          throw new GatewayError('upstream_invalid_response', `${where} sent an event-stream frame of ${total} bytes, more than the ${formatBytes(maxFrameBytes)} Tollgate buffers for one event.`, { retryable: true });
        }
        if (buffered < total) break;
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
        const frame = all.subarray(0, total);
        // What follows the frame is copied out when small beside it, so a large frame's memory goes with it.
        const restView = all.subarray(total);
        const rest = restView.length > 0 && restView.length * 4 < all.length ? Buffer.from(restView) : restView;
        chunks.length = 0;
        if (rest.length > 0) chunks.push(rest);
        buffered = rest.length;
        held.hold(buffered);
        yield wireEventOf(decoder.decode(frame));
      }
    }
  } finally {
    held.release();
  }
}
