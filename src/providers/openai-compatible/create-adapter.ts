import { openaiChatCodec } from '../../codecs/openai-chat/index.js';
import { openaiCompletionCodec } from '../../codecs/openai-completions/index.js';
import { openaiEmbeddingCodec } from '../../codecs/openai-embeddings/index.js';
import { openaiImageCodec } from '../../codecs/openai-images/index.js';
import { openaiModerationCodec } from '../../codecs/openai-moderations/index.js';
import { openaiRerankCodec } from '../../codecs/openai-rerank/index.js';
import { openaiResponsesCodec } from '../../codecs/openai-responses/index.js';
import { countField } from '../token-count.js';
import type { ChatRequest } from '../../spec/index.js';
import { noOptionsSchema, type NoOptions } from '../no-options.js';
import type { ProviderAdapter, ProviderKey, ProviderSettings, TokenCounter, UpstreamHttpRequest } from '../provider.js';
import type { BodyQuirk } from './body-quirks.js';

export interface OpenAICompatibleOptions {
  /** `providers.<name>.type`. */
  type: string;
  /** Used when the config gives no `base_url`; omit when the server's address cannot be guessed. */
  defaultBaseUrl?: string;
  /** Default true. Local servers (Ollama, vLLM) take no key. */
  requiresKey?: boolean;
  /** Default true; false for providers without an embeddings endpoint (the gateway then says so). */
  embeddings?: boolean;
  /** Documented deviations from OpenAI's request body, applied in order after encoding. */
  quirks?: readonly BodyQuirk[];
  /** True for OpenAI's own API, whose `POST <base>/responses/input_tokens` counts a request's input tokens. */
  tokenCounting?: boolean;
  /** True for servers with a native legacy `POST <base>/completions` (OpenAI, vLLM, Together, Fireworks, Ollama); others get text completions as chat. */
  completions?: boolean;
  /** True for servers with OpenAI's `POST <base>/moderations`. */
  moderations?: boolean;
  /** True for servers with OpenAI's `POST <base>/images/generations` (and `/images/edits`, `/images/variations`). */
  images?: boolean;
  /** True for servers with OpenAI's realtime WebSocket at `<base>/realtime?model=` (http → ws, https → wss). */
  realtime?: boolean;
  /** True for servers with OpenAI's Files and Batch APIs (`<base>/files`, `<base>/batches`). */
  filesAndBatches?: boolean;
  /** True for servers with a `POST <base>/rerank` in the Cohere/Jina shape (vLLM, Together, Jina-style servers). */
  rerank?: boolean;
}

/** The fields of a Responses request that `responses/input_tokens` takes (https://platform.openai.com/docs/api-reference/responses/input-tokens). */
const INPUT_TOKEN_FIELDS = ['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'text', 'truncation'];

/**
 * The one adapter behind every provider that speaks OpenAI's chat API: POST `<base>/chat/completions`
 * and `<base>/embeddings` with `Authorization: Bearer <key>`; only the base URL and quirks differ.
 */
export function createOpenAICompatibleAdapter(options: OpenAICompatibleOptions): ProviderAdapter<NoOptions> {
  const quirks = options.quirks ?? [];
  const tokenCounter: TokenCounter<NoOptions> = {
    buildRequest(request, upstreamModel, key, settings) {
      const body = pick(openaiResponsesCodec.encodeRequest(request, upstreamModel), INPUT_TOKEN_FIELDS);
      return { url: `${settings.baseUrl}/responses/input_tokens`, method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(body) };
    },
    decodeResponse: (body) => countField(body, 'input_tokens', options.type),
  };
  const adapter: ProviderAdapter<NoOptions> = {
    type: options.type,
    optionsSchema: noOptionsSchema,
    chatCodec: openaiChatCodec,
    requiresKey: options.requiresKey ?? true,
    ...(options.defaultBaseUrl === undefined ? {} : { defaultBaseUrl: options.defaultBaseUrl }),
    buildChatRequest(request: ChatRequest, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<NoOptions>): UpstreamHttpRequest {
      const body = openaiChatCodec.encodeRequest(request, upstreamModel);
      for (const quirk of quirks) quirk(body, request);
      return { url: `${settings.baseUrl}/chat/completions`, method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(body), framing: 'sse' };
    },
    ...(options.tokenCounting === true ? { tokenCounter } : {}),
    credentialHeaders: (key): Record<string, string> => (key === undefined ? {} : { authorization: `Bearer ${key.value}` }),
    audioTarget: (operation, _upstreamModel, key, settings) => ({ url: `${settings.baseUrl}/${operation}`, headers: audioHeaders(key, settings.headers) }),
  };
  const json = (settings: ProviderSettings<NoOptions>, path: string, key: ProviderKey | undefined, body: Record<string, unknown>): UpstreamHttpRequest => ({ url: `${settings.baseUrl}/${path}`, method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(body) });
  return {
    ...adapter,
    ...(options.filesAndBatches === true ? { storedResourceTarget: (resource, key, settings) => ({ url: `${settings.baseUrl}/${resource}`, query: '', headers: audioHeaders(key, settings.headers) }) } : {}),
    ...(options.embeddings === false
      ? {}
      : {
          embeddingCodec: openaiEmbeddingCodec,
          buildEmbeddingRequest: (request, upstreamModel, key, settings) => json(settings, 'embeddings', key, openaiEmbeddingCodec.encodeRequest(request, upstreamModel)),
        }),
    ...(options.completions === true
      ? {
          completionCodec: openaiCompletionCodec,
          buildCompletionRequest(request, upstreamModel, key, settings) {
            const body = openaiCompletionCodec.encodeRequest(request, upstreamModel);
            for (const quirk of quirks) quirk(body, request);
            return { ...json(settings, 'completions', key, body), framing: 'sse' };
          },
        }
      : {}),
    ...(options.moderations === true
      ? { moderationCodec: openaiModerationCodec, buildModerationRequest: (request, upstreamModel, key, settings) => json(settings, 'moderations', key, openaiModerationCodec.encodeRequest(request, upstreamModel)) }
      : {}),
    ...(options.images === true
      ? {
          imageCodec: openaiImageCodec,
          buildImageRequest: (request, upstreamModel, key, settings) => json(settings, 'images/generations', key, openaiImageCodec.encodeRequest(request, upstreamModel)),
          imageUploadTarget: (operation, _upstreamModel, key, settings) => ({ url: `${settings.baseUrl}/${operation}`, headers: audioHeaders(key, settings.headers) }),
        }
      : {}),
    ...(options.realtime === true
      ? { realtimeTarget: (upstreamModel, key, settings) => ({ url: `${webSocketUrl(settings.baseUrl)}/realtime?model=${encodeURIComponent(upstreamModel)}`, headers: audioHeaders(key, settings.headers) }) }
      : {}),
    ...(options.rerank === true ? { rerankCodec: openaiRerankCodec, buildRerankRequest: (request, upstreamModel, key, settings) => json(settings, 'rerank', key, openaiRerankCodec.encodeRequest(request, upstreamModel)) } : {}),
  };
}

function pick(body: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const field of fields) if (body[field] !== undefined) picked[field] = body[field];
  return picked;
}

/** An HTTP base URL as the WebSocket URL of the same place: `https://` → `wss://`, `http://` → `ws://`. */
export function webSocketUrl(httpUrl: string): string {
  return httpUrl.replace(/^http(s?):\/\//i, (_match, secure: string) => `ws${secure}://`);
}

function audioHeaders(key: ProviderKey | undefined, configured: Record<string, string>): Record<string, string> {
  return key === undefined ? { ...configured } : { ...configured, authorization: `Bearer ${key.value}` };
}

function headersFor(key: ProviderKey | undefined, settings: ProviderSettings<NoOptions>): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...settings.headers };
  if (key !== undefined) headers.authorization = `Bearer ${key.value}`;
  return headers;
}
