import type { DroppableField } from './dropped-fields.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, GatewayError, ImageGenerationRequest, ImageGenerationResponse, ModerationRequest, ModerationResponse, RerankRequest, RerankResponse, StreamPart, Usage } from '../spec/index.js';

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
/**
 * A stream's cost in its last event (docs/observability.md, "Cost in streams"): `x_tollgate_cost`, the
 * same text as the `x-tollgate-cost` header (exact decimal USD, or `unknown`), on the dialect's
 * final usage chunk or closing event.
 */
export const STREAM_COST_FIELD = 'x_tollgate_cost';

export interface StreamEncoder {
  encode(part: StreamPart): string;
  /** The closing frames (e.g. OpenAI's `data: [DONE]`); with `cost`, carrying it (STREAM_COST_FIELD). */
  end(cost?: string): string;
  /**
   * Forwarding an upstream of the same dialect: whether `event` (decoded into `parts`) is one of the
   * last events the cost
   * rides on (or must precede), which the caller's stream holds back until the cost is known. Only
   * events that come last anyway, so holding them delays nothing the caller reads.
   */
  holdsForCost(event: WireEvent, parts: readonly StreamPart[]): boolean;
  /** Forwarding: the held events (in order) as they go out with the cost, then whatever the dialect adds. */
  endForwarded(held: readonly WireEvent[], cost: string, usage: Usage | undefined): string;
}

export interface StreamEncoderOptions {
  /** The model name to show the caller (what it asked for, or what served it). */
  model: string;
  id: string;
  created: number;
  includeUsage: boolean;
  /** Request fields the dialect's response object shows back (Responses: `store`, `instructions`, …). */
  echo?: Readonly<Record<string, unknown>>;
}

/** Response headers as an upstream sent them (names lower-case, repeated headers as arrays). */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/**
 * What an upstream HTTP error body says, as a codec reads it: only what the provider wrote. What
 * the status means (code, retries, `Retry-After`), the message shown and its scrubbing are decided
 * once for every provider by the upstream-error mapper (src/providers/upstream-error.ts).
 */
export interface UpstreamErrorDetails {
  /** The provider's message; absent when the body is not the dialect's error envelope (the mapper then keeps an excerpt). */
  message?: string;
  /** The provider's error type or exception name (`rate_limit_error`, `ThrottlingException`, `RESOURCE_EXHAUSTED`). */
  type?: string;
  /** The request field the provider blames. */
  param?: string;
  /** The body says the provider key is bad whatever the status (Gemini answers 400 with `API_KEY_INVALID`). */
  keyRejected?: boolean;
  /** A retry delay carried in the body (Gemini's google.rpc.RetryInfo), in milliseconds; wins over `Retry-After`. */
  retryAfterMs?: number;
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

  /**
   * Reads an upstream HTTP error body (and the headers, where a provider names the error there,
   * as Bedrock's `x-amzn-ErrorType` does). Never throws; returns `{}` for a body it cannot read.
   */
  readError(body: string, headers: UpstreamHeaders): UpstreamErrorDetails;
  /**
   * How upstream error messages name the provider (`Anthropic` → `Anthropic rate_limit_error: …`).
   * Absent for OpenAI's dialect, spoken by many providers: their messages are passed on as written.
   */
  readonly errorLabel?: string;
}

/**
 * One wire format, both directions. Surfaces use decodeRequest/encodeResponse/createStreamEncoder/
 * encodeError for callers speaking the dialect; providers use the upstream half to speak it upstream.
 */
export interface ChatCodec extends UpstreamChatCodec {
  /** Wire body → spec. Throws GatewayError(`invalid_request`) naming the bad `param`. */
  decodeRequest(body: unknown): ChatRequest;
  /** `echo`: request fields the dialect's response object shows back, when it has any (Responses). */
  encodeResponse(response: ChatResponse, model: string, echo?: Readonly<Record<string, unknown>>): unknown;
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

/** Rerank wire format, upstream half: spec request → wire body, wire answer → spec response. */
export interface RerankCodec {
  readonly dialect: string;
  encodeRequest(request: RerankRequest, upstreamModel: string): Record<string, unknown>;
  /** Throws GatewayError(`upstream_invalid_response`) for a body it cannot read. */
  decodeResponse(body: unknown): RerankResponse;
}

/** Rerank wire format, caller's half (the gateway's own `/v1/rerank`): wire body → spec request, spec response → wire answer. */
export interface RerankSurfaceCodec {
  readonly dialect: string;
  decodeRequest(body: unknown): RerankRequest;
  encodeResponse(response: RerankResponse, model: string): unknown;
}

/** Moderations wire format, both directions. `defaultModel` stands in for an absent `model`. */
export interface ModerationCodec {
  readonly dialect: string;
  decodeRequest(body: unknown, defaultModel: string): ModerationRequest;
  encodeRequest(request: ModerationRequest, upstreamModel: string): Record<string, unknown>;
  decodeResponse(body: unknown): ModerationResponse;
  encodeResponse(response: ModerationResponse, model: string): unknown;
}

/** Image generation wire format, both directions. */
export interface ImageGenerationCodec {
  readonly dialect: string;
  decodeRequest(body: unknown): ImageGenerationRequest;
  encodeRequest(request: ImageGenerationRequest, upstreamModel: string): Record<string, unknown>;
  decodeResponse(body: unknown): ImageGenerationResponse;
  encodeResponse(response: ImageGenerationResponse): unknown;
}
