import type { DroppableField } from './dropped-fields.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, GatewayError, StreamPart } from '../spec/index.js';

/** One event of an upstream or downstream event stream (SSE, or a decoded AWS event-stream frame). */
export interface WireEvent {
  /**
   * SSE `event:` name, or the event-stream `:event-type` header (`exception:<:exception-type>` and
   * `error:<:error-code>` for AWS event-stream exception and error frames).
   */
  event?: string;
  /** The event payload as text (JSON for every dialect we speak). */
  data: string;
}

/** Turns a dialect's stream events into spec stream parts. One decoder per stream: it keeps state. */
export interface StreamDecoder {
  decode(event: WireEvent): StreamPart[];
  /** Called when the upstream stream closed; returns parts still pending (or an error part if it ended early). */
  end(): StreamPart[];
}

/** Turns spec stream parts into a dialect's wire text (complete SSE frames). One encoder per stream. */
export interface StreamEncoder {
  encode(part: StreamPart): string;
  /** The closing frames (e.g. OpenAI's `data: [DONE]`). */
  end(): string;
}

export interface StreamEncoderOptions {
  /** The model name to show the caller (what it asked for, or what served it). */
  model: string;
  id: string;
  created: number;
  includeUsage: boolean;
}

/**
 * The provider side of a chat wire format: what an adapter needs to speak it upstream. A format no
 * caller speaks to us (Bedrock Converse) implements only this half.
 */
export interface UpstreamChatCodec {
  /** Stable dialect id, e.g. `openai-chat`, `anthropic-messages`, `gemini`, `bedrock-converse`. */
  readonly dialect: string;

  /** Spec → wire body for `upstreamModel`. */
  encodeRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown>;
  /** Spec fields `encodeRequest` drops because the dialect has no place for them (named to the caller in a warning). */
  readonly droppedFields?: readonly DroppableField[];

  decodeResponse(body: unknown): ChatResponse;
  createStreamDecoder(): StreamDecoder;

  /** An upstream HTTP error (status, body text, headers) → GatewayError keeping the provider's message. */
  decodeError(status: number, body: string, headers: Record<string, string | string[] | undefined>): GatewayError;
}

/**
 * One wire format, both directions. Surfaces use decodeRequest/encodeResponse/createStreamEncoder/
 * encodeError for callers speaking the dialect; providers use the upstream half to speak it upstream.
 */
export interface ChatCodec extends UpstreamChatCodec {
  /** Wire body → spec. Throws GatewayError(`invalid_request`) naming the bad `param`. */
  decodeRequest(body: unknown): ChatRequest;
  encodeResponse(response: ChatResponse, model: string): unknown;
  createStreamEncoder(options: StreamEncoderOptions): StreamEncoder;
  /** A GatewayError → the dialect's error envelope. */
  encodeError(error: GatewayError): unknown;
}

/** Embeddings wire format, both directions. */
export interface EmbeddingCodec {
  readonly dialect: string;
  decodeRequest(body: unknown): EmbeddingRequest;
  encodeRequest(request: EmbeddingRequest, upstreamModel: string): Record<string, unknown>;
  decodeResponse(body: unknown): EmbeddingResponse;
  encodeResponse(response: EmbeddingResponse, model: string): unknown;
}
