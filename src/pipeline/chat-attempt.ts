import type { StreamDecoder, WireEvent } from '../codecs/codec.js';
import { pickKey } from '../providers/instance.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { parseAwsEventStream } from '../providers/transport/aws-event-stream.js';
import { parseServerSentEvents } from '../providers/transport/event-stream.js';
import { readResponseText } from '../providers/transport/read-body.js';
import { GatewayError, type ChatRequest, type ChatResponse, type StreamPart } from '../spec/index.js';
import type { Target } from './target.js';
import { callUpstream } from './upstream-call.js';

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

/** Sends one chat attempt to `target`. Resolves once the upstream answered (headers for streams). Throws GatewayError. */
export async function attemptChat(target: Target, request: ChatRequest, transport: HttpTransport, signal: AbortSignal): Promise<CompleteAttempt | StreamAttempt> {
  const provider = target.provider;
  const adapter = provider.adapter;
  const codec = adapter.chatCodec;
  const key = target.key ?? pickKey(provider, target.model);
  const built = adapter.buildChatRequest(request, target.model, key, provider.settings);
  const upstreamRequest = adapter.sign === undefined ? built : await adapter.sign(built, key, provider.settings);
  const response = await callUpstream(provider, upstreamRequest, transport, signal, target.timeouts);
  if (response.status >= 400) {
    const text = await readResponseText(response).catch(() => '');
    throw codec.decodeError(response.status, text, response.headers);
  }
  if (!request.stream) {
    const raw = await readResponseText(response);
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
      if (GatewayError.is(error)) throw error;
      throw new GatewayError('upstream_invalid_response', `${provider.name} answered with a response Tollgate cannot read: ${(error as Error).message}`, { retryable: true, cause: error });
    }
  }
  // The adapter says how its stream is framed; the codec only ever sees events.
  const events = upstreamRequest.framing === 'aws-eventstream' ? parseAwsEventStream(response.body) : parseServerSentEvents(response.body);
  return { kind: 'stream', keyId: key?.id, events: decodeEvents(events, codec.createStreamDecoder(), provider.name) };
}

async function* decodeEvents(events: AsyncIterable<WireEvent>, decoder: StreamDecoder, providerName: string): AsyncGenerator<DecodedEvent> {
  try {
    for await (const event of events) yield { parts: decoder.decode(event), raw: event };
  } catch (error) {
    const wrapped = GatewayError.is(error) ? error : new GatewayError('upstream_stream_error', `The stream from ${providerName} broke: ${(error as Error).message}`, { retryable: true, cause: error });
    yield { parts: [{ type: 'error', error: wrapped }], raw: undefined };
    return;
  }
  yield { parts: decoder.end(), raw: undefined };
}
