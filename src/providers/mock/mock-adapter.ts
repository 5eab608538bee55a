import { openaiChatCodec } from '../../codecs/openai-chat/index.js';
import { openaiEmbeddingCodec } from '../../codecs/openai-embeddings/index.js';
import { GatewayError, type StreamPart } from '../../spec/index.js';
import type { LocalExecutor, ProviderAdapter, ProviderSettings, UpstreamHttpRequest, UpstreamHttpResponse } from '../provider.js';
import { mockOptionsSchema, type MockOptions } from './mock-options.js';
import { mockChatResponse, mockEmbedding, mockTokens } from './mock-reply.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

async function* single(text: string): AsyncGenerator<string> {
  yield text;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    function abort() {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    }
    signal.addEventListener('abort', abort, { once: true });
  });
}

/**
 * Serves requests in-process, speaking the OpenAI wire format exactly as a remote upstream would,
 * so everything after the transport (decoding, usage, cost, logging) runs as for a real provider.
 */
const mockExecutor: LocalExecutor<MockOptions> = {
  async execute(request: UpstreamHttpRequest, settings: ProviderSettings<MockOptions>, signal: AbortSignal): Promise<UpstreamHttpResponse> {
    const options = settings.options;
    const body = JSON.parse(request.body ?? '{}') as Record<string, unknown>;
    await sleep(options.latency_ms, signal);
    if (options.failure_rate > 0 && Math.random() < options.failure_rate) {
      const error = new GatewayError('upstream_error', 'The mock provider failed this request on purpose (failure_rate).', { status: 503 });
      return { status: 503, headers: JSON_HEADERS, body: single(JSON.stringify(openaiChatCodec.encodeError(error))) };
    }
    const model = String(body.model ?? 'mock');
    if (request.url.endsWith('/embeddings')) {
      const input = body.input;
      const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))) : [];
      const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 256;
      const inputTokens = texts.reduce((sum, text) => sum + mockTokens(text), 0);
      const response = openaiEmbeddingCodec.encodeResponse({ model, embeddings: texts.map((text) => mockEmbedding(text, dimensions)), usage: { inputTokens, outputTokens: undefined } }, model);
      return { status: 200, headers: JSON_HEADERS, body: single(JSON.stringify(response)) };
    }
    const response = mockChatResponse(body, options, model);
    if (body.stream !== true) return { status: 200, headers: JSON_HEADERS, body: single(JSON.stringify(openaiChatCodec.encodeResponse(response, model))) };

    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const encoder = openaiChatCodec.createStreamEncoder({ model, id: response.id, created: response.created, includeUsage });
    const interval = options.chunk_interval_ms;
    async function* frames(): AsyncGenerator<string> {
      const parts: StreamPart[] = [{ type: 'start', id: response.id, model, created: response.created }];
      for (const choice of response.choices) {
        for (const part of choice.content) {
          if (part.type !== 'text') continue;
          for (const piece of part.text.match(/\S+\s*|\s+/g) ?? []) parts.push({ type: 'text-delta', choice: choice.index, text: piece });
        }
        choice.toolCalls.forEach((call, index) => {
          parts.push({ type: 'tool-call-start', choice: choice.index, index, id: call.id, name: call.name });
          parts.push({ type: 'tool-call-delta', choice: choice.index, index, argumentsDelta: call.arguments });
        });
        parts.push({ type: 'finish', choice: choice.index, finishReason: choice.finishReason });
      }
      parts.push({ type: 'usage', usage: response.usage });
      for (const part of parts) {
        if (interval > 0 && part.type === 'text-delta') await sleep(interval, signal);
        const frame = encoder.encode(part);
        if (frame.length > 0) yield frame;
      }
      yield encoder.end();
    }
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: frames() };
  },
};

export const mockAdapter: ProviderAdapter<MockOptions> = {
  type: 'mock',
  optionsSchema: mockOptionsSchema,
  chatCodec: openaiChatCodec,
  embeddingCodec: openaiEmbeddingCodec,
  defaultBaseUrl: 'mock://local',
  requiresKey: false,
  local: mockExecutor,
  buildChatRequest(request, upstreamModel, _key, settings) {
    return {
      url: `${settings.baseUrl}/chat/completions`,
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(openaiChatCodec.encodeRequest(request, upstreamModel)),
      framing: 'sse',
    };
  },
  buildEmbeddingRequest(request, upstreamModel, _key, settings) {
    return { url: `${settings.baseUrl}/embeddings`, method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(openaiEmbeddingCodec.encodeRequest(request, upstreamModel)) };
  },
};
