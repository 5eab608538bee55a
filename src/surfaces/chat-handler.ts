import type { ChatCodec } from '../codecs/codec.js';
import type { Pipeline } from '../pipeline/chat-pipeline.js';
import { toGatewayError, type ChatRequest } from '../spec/index.js';
import type { HttpExchange, HttpHandler } from '../http/http-route.js';
import { withHeaderFallbacks } from '../pipeline/header-fallbacks.js';
import { DialectSink } from './dialect-sink.js';
import { contextFor } from './surface.js';

export interface ChatHandlerOptions {
  pipeline: Pipeline;
  /** Surface name for logs and metrics: `openai`, `anthropic`, `gemini`. */
  surface: string;
  codec: ChatCodec;
  /** Body → spec request; defaults to `codec.decodeRequest`. Surfaces whose URL carries data (Gemini) add it here. */
  decode?: (body: unknown, exchange: HttpExchange) => ChatRequest;
  /** Whether streams end with usage even unasked (Anthropic and Gemini always report it). */
  alwaysIncludeUsage?: boolean;
}

/** One chat endpoint: authenticate, decode the caller's dialect, run the pipeline, answer in the same dialect. */
export function createChatHandler(options: ChatHandlerOptions): HttpHandler {
  const { pipeline, surface, codec } = options;
  const decode = options.decode ?? ((body: unknown) => codec.decodeRequest(body));
  const alwaysIncludeUsage = options.alwaysIncludeUsage === true;
  return async function chat(exchange: HttpExchange): Promise<void> {
    const context = contextFor(exchange, surface, 'chat');
    const sink = new DialectSink(exchange, codec, alwaysIncludeUsage);
    try {
      const authenticating = pipeline.authenticate(context);
      if (authenticating !== undefined) await authenticating;
      // Per-request fallbacks may also come as a header, so callers can add them without touching the body.
      const request = withHeaderFallbacks(decode(await exchange.readJson(), exchange), exchange.request.headers);
      if (request.includeUsage === true) sink.includeUsage = true;
      await pipeline.chat(context, request, sink);
    } catch (error) {
      pipeline.fail(context, toGatewayError(error), sink);
    } finally {
      pipeline.finish(context);
    }
  };
}
