import type { StreamDecoder, WireEvent } from '../codecs/codec.js';
import { chatCodecOf, pickKey } from '../providers/instance.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { parseAwsEventStream } from '../providers/transport/aws-event-stream.js';
import { parseServerSentEvents } from '../providers/transport/event-stream.js';
import { readResponseText } from '../providers/transport/read-body.js';
import type { SecretScrubber } from '../providers/secret-scrubber.js';
import { GatewayError, type ChatRequest, type ChatResponse, type StreamPart } from '../spec/index.js';
import type { Target } from './target.js';
import { scrubbed, sendAttempt } from './upstream-call.js';

export interface CompleteAttempt {
  kind: 'complete';
  keyId: string | undefined;
  response: ChatResponse;
  /** The upstream's body text, forwarded as is when the caller speaks the same dialect. */
  raw: string;
}

/** A stream's events, each decoded into parts; the raw event is kept for same-dialect forwarding. */
export interface StreamAttempt {
  kind: 'stream';
  keyId: string | undefined;
  events: AsyncIterator<DecodedEvent>;
}

export interface DecodedEvent {
  parts: StreamPart[];
  /** Undefined for parts produced at the end of the stream (decoder.end()). */
  raw: WireEvent | undefined;
}

/**
 * Sends one chat attempt to `target`. Resolves once the upstream answered (headers for streams).
 * Throws GatewayError. Nothing that comes back holds this attempt's secrets: errors, error events
 * and raw bodies and events forwarded to same-dialect callers go through its SecretScrubber.
 */
export async function attemptChat(target: Target, request: ChatRequest, transport: HttpTransport, signal: AbortSignal): Promise<CompleteAttempt | StreamAttempt> {
  const provider = target.provider;
  const adapter = provider.adapter;
  const key = target.key ?? pickKey(provider, target.model);
  // A legacy text completion goes to the provider's own `/completions` where it has one, as chat otherwise.
  const native = request.textCompletion !== undefined && adapter.buildCompletionRequest !== undefined && adapter.completionCodec !== undefined;
  const codec = native ? adapter.completionCodec! : chatCodecOf(provider, target.model);
  const built = native ? adapter.buildCompletionRequest!(request, target.model, key, provider.settings) : adapter.buildChatRequest(request, target.model, key, provider.settings);
  const { request: upstreamRequest, response, scrubber } = await sendAttempt(target, key, built, transport, signal);
  if (!request.stream) {
    let raw: string;
    try {
      raw = await readResponseText(response);
    } catch (error) {
      throw scrubbed(error, scrubber);
    }
    // A model may repeat what it was sent: the key never goes out, in the raw body or the decoded one.
    if (scrubber.holdsSecret(raw)) raw = scrubber.redactSecrets(raw);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new GatewayError('upstream_invalid_response', `${provider.name} answered with a body that is not JSON.`, { retryable: true, upstreamStatus: response.status });
    }
    try {
      const decoded = codec.decodeResponse(body);
      // Some wire formats (Bedrock Converse) do not name the model in the body: it is the one asked for.
      if (decoded.model === '') decoded.model = target.model;
      return { kind: 'complete', keyId: key?.id, response: decoded, raw };
    } catch (error) {
      if (GatewayError.is(error)) throw scrubber.scrubError(error);
      throw scrubber.scrubError(new GatewayError('upstream_invalid_response', `${provider.name} answered with a response Tollgate cannot read: ${(error as Error).message}`, { retryable: true }));
    }
  }
  // The adapter says how its stream is framed; the codec only ever sees events.
  const events = upstreamRequest.framing === 'aws-eventstream' ? parseAwsEventStream(response.body, provider.name) : parseServerSentEvents(response.body, provider.name);
  return { kind: 'stream', keyId: key?.id, events: decodeEvents(events, codec.createStreamDecoder(), provider.name, scrubber) };
}

/**
 * Decodes each event. An event holding the attempt's secret (a model repeating it) is redacted
 * before it is decoded or forwarded; an event that decodes to an error is scrubbed whole (its
 * credential-shaped text too), raw and decoded, since same-dialect callers get it as it came.
 */
async function* decodeEvents(events: AsyncIterable<WireEvent>, decoder: StreamDecoder, providerName: string, scrubber: SecretScrubber): AsyncGenerator<DecodedEvent> {
  try {
    for await (const received of events) {
      const event = scrubber.holdsSecret(received.data) ? { ...received, data: scrubber.redactSecrets(received.data) } : received;
      const parts = decoder.decode(event);
      if (!parts.some(isError)) {
        yield { parts, raw: event };
        continue;
      }
      // The upstream's own error event goes to a same-dialect caller as it came. An event the decoder
      // could not read (not a JSON object) is none of the dialect's: forwarded, it would end the
      // caller's stream with the garbage instead of an error event it can parse.
      const raw: WireEvent | undefined = !isJsonObject(event.data) ? undefined : event.event === undefined ? { data: scrubber.scrub(event.data) } : { event: scrubber.scrub(event.event), data: scrubber.scrub(event.data) };
      yield { parts: scrubParts(parts, scrubber), raw };
    }
  } catch (error) {
    const wrapped = GatewayError.is(error) ? error : new GatewayError('upstream_stream_error', `The stream from ${providerName} broke: ${(error as Error).message}`, { retryable: true, cause: error });
    yield { parts: [{ type: 'error', error: scrubber.scrubError(wrapped) }], raw: undefined };
    return;
  }
  yield { parts: scrubParts(decoder.end(), scrubber), raw: undefined };
}

function isError(part: StreamPart): boolean {
  return part.type === 'error';
}

function scrubParts(parts: StreamPart[], scrubber: SecretScrubber): StreamPart[] {
  return parts.some(isError) ? parts.map((part) => (part.type === 'error' ? { type: 'error', error: scrubber.scrubError(part.error) } : part)) : parts;
}

/** Whether an event's data is a JSON object (only error events are asked, so the parse is off the hot path). */
function isJsonObject(data: string): boolean {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
