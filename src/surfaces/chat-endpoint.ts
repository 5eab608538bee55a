import type { ChatCodec } from '../codecs/codec.js';
import type { HttpExchange } from '../http/http-route.js';
import type { ChatEndpoint } from '../pipeline/endpoint.js';
import type { ChatRequest } from '../spec/index.js';
import { DialectSink } from './dialect-sink.js';

export interface ChatEndpointOptions {
  /** Surface name for logs and metrics: `openai`, `anthropic`, `gemini`, `openai-responses`. */
  surface: string;
  codec: ChatCodec;
  /** Body → spec request; defaults to `codec.decodeRequest`. Surfaces whose URL carries data (Gemini) add it here. */
  decode?: (body: unknown, exchange: HttpExchange) => ChatRequest;
  /** Whether streams end with usage even unasked (Anthropic, Gemini and Responses always report it). */
  alwaysIncludeUsage?: boolean;
  /** Operation name for logs and metrics, when not `chat`. */
  operation?: string;
}

/** A chat route in one dialect: its codec reads the request and renders the answer; the pipeline does the rest. */
export function chatEndpoint(options: ChatEndpointOptions): ChatEndpoint {
  const { surface, codec } = options;
  const alwaysIncludeUsage = options.alwaysIncludeUsage === true;
  return {
    surface,
    ...(options.operation === undefined ? {} : { operation: options.operation }),
    decode: options.decode ?? ((body) => codec.decodeRequest(body)),
    sink: (exchange) => new DialectSink(exchange, codec, alwaysIncludeUsage),
    // The codec's decoder reads nothing but the body: the same bytes are the same request.
    ...(options.decode === undefined ? { rawKey: `${surface}:${options.operation ?? 'chat'}:${codec.dialect}` } : {}),
  };
}
