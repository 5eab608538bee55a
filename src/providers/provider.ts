import type { z } from 'zod';
import type { EmbeddingCodec, ImageGenerationCodec, ModerationCodec, RerankCodec, UpstreamChatCodec } from '../codecs/codec.js';
import type { ModelPatterns } from '../lib/model-patterns.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, ImageGenerationRequest, ModerationRequest, RerankRequest } from '../spec/index.js';

/** A provider API key as configured (`providers.<name>.keys[]`). */
export interface ProviderKey {
  /** Stable id for logs and headers (`keys[].id`, or `<provider>-<index>`); never the secret. */
  id: string;
  value: string;
  weight: number;
  /** Models this key may serve (`*` and `prefix*` entries allowed); undefined = all of the provider's models. */
  models: ModelPatterns | undefined;
}

/**
 * Static settings of one configured provider instance, as the adapter needs them. `Options` is the
 * adapter's own options type: what its `optionsSchema` produced from the config.
 */
export interface ProviderSettings<Options = unknown> {
  name: string;
  type: string;
  /** Base URL without trailing slash, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  headers: Record<string, string>;
  /** The adapter's options from the config (`providers.<name>.options`), validated by its `optionsSchema`. */
  options: Options;
}

/** An HTTP request to an upstream, built by an adapter. */
export interface UpstreamHttpRequest {
  /** Absolute URL. */
  url: string;
  method: 'POST' | 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  /** The caller's bytes as they came, sent instead of `body` (the pass-through route). */
  bytes?: Buffer;
  /** A body streamed as it is produced (a multipart upload), sent instead of `body`; it can be sent once. */
  stream?: AsyncIterable<Buffer>;
  /** How the response stream is framed when streaming. */
  framing?: 'sse' | 'aws-eventstream';
}

export type Operation = 'chat' | 'embeddings' | 'rerank' | 'moderations' | 'completions' | 'images';

/** OpenAI's image upload endpoints (multipart), as paths under a provider's base URL. */
export type ImageUploadOperation = 'images/edits' | 'images/variations';

/** OpenAI's files and batches collections, as paths under a provider's base URL. */
export type StoredResource = 'files' | 'batches';

/** Where a provider keeps OpenAI's files or batches: `url` is the collection, `query` what every call appends after the path. */
export interface StoredResourceTarget {
  /** The collection, e.g. `https://api.openai.com/v1/files`; an item is `<url>/<id>`, its content `<url>/<id>/content`. */
  url: string;
  /** `?api-version=…` or empty; `&`-joined with the caller's own query. */
  query: string;
  headers: Record<string, string>;
}

/** One request of a batch translated to a provider's own batch API: its custom id, the spec request and the model it is sent as. */
export interface ChatBatchItem {
  readonly customId: string;
  readonly request: ChatRequest;
  readonly upstreamModel: string;
}

/** A provider batch's state as the gateway tracks it. */
export interface ChatBatchState {
  readonly id: string;
  readonly status: 'in_progress' | 'cancelling' | 'ended';
  /**
   * The results, when the provider carries them in its answer about an ended batch (Gemini's inline
   * responses) rather than in a results download: each is read with `readResult`, and no
   * `buildResults` request is sent.
   */
  readonly results?: readonly unknown[];
  /** Where the results of an ended batch are kept at the provider, for `buildResults` (Gemini's `responsesFile`). */
  readonly resultsRef?: string;
  /** Why an ended batch failed as a whole (Gemini's `BATCH_STATE_FAILED`): the requests without a result fail with it. */
  readonly failure?: string;
}

/** One result of a translated batch: the answer, or why the request failed. */
export interface ChatBatchResult {
  readonly customId: string;
  readonly response?: ChatResponse;
  readonly error?: { readonly status: number; readonly message: string };
}

/**
 * A provider's own batch API for chat requests (Anthropic's Message Batches, Gemini's batch mode),
 * which the gateway translates OpenAI batches of chat completions to: the requests to create,
 * retrieve, cancel and read the results of a batch, and how to read its answers. Results are JSON
 * lines from `buildResults`, or carried in the state answer (`ChatBatchState.results`). The answer
 * to a cancel is not read (Gemini answers an empty object).
 */
export interface ChatBatchApi<Options = unknown> {
  buildCreate(items: readonly ChatBatchItem[], key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  buildRetrieve(id: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  buildCancel(id: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  /** The request for the results of an ended batch whose state carries none; `state` is the ended batch's. */
  buildResults(id: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>, state: ChatBatchState): UpstreamHttpRequest;
  /** The batch's state in the provider's answer to create or retrieve. Throws GatewayError `upstream_invalid_response`. */
  readState(body: unknown): ChatBatchState;
  /** One line of the results (or one result carried in the state). Throws GatewayError `upstream_invalid_response`. */
  readResult(line: unknown): ChatBatchResult;
}

/** OpenAI's audio endpoints, as paths under a provider's base URL. */
export type AudioOperation = 'audio/speech' | 'audio/transcriptions' | 'audio/translations';

/**
 * What is particular to one provider type: where to send a request, how to authenticate, which
 * codec speaks its wire format, and its quirks. Adapters are stateless and shared by every instance
 * of their type. The pipeline never asks which provider it is talking to.
 *
 * `Options` is the type of the adapter's own settings, e.g. Azure's:
 * ```ts
 * const azureOptionsSchema = z.strictObject({ api_version: z.string().min(1).default('2024-10-21'), deployments: z.record(z.string(), z.string()).default({}) });
 * export const azureAdapter: ProviderAdapter<z.infer<typeof azureOptionsSchema>> = { type: 'azure', optionsSchema: azureOptionsSchema, … };
 * ```
 */
export interface ProviderAdapter<Options = unknown> {
  readonly type: string;
  /**
   * The adapter's settings under `providers.<name>.options`, validated when provider instances are
   * built: problems are config issues naming `providers.<name>.options.<key>`. A strict object, so a
   * misspelt option is reported rather than ignored.
   */
  readonly optionsSchema: z.ZodType<Options>;
  /** The codec of the provider's chat wire format (its upstream half). */
  readonly chatCodec: UpstreamChatCodec;
  /**
   * The codec a model is served in, for providers whose wire format depends on the model (Vertex
   * AI serves Gemini models in Google's format and Claude models in Anthropic's). Without it every
   * model is served in `chatCodec`. Read through `chatCodecOf` (instance.ts).
   */
  chatCodecFor?(upstreamModel: string, options: Options): UpstreamChatCodec;
  readonly embeddingCodec?: EmbeddingCodec;
  /** Base URL used when the config gives none. */
  readonly defaultBaseUrl?: string;
  /**
   * Base URL derived from the provider's `options` when the config gives no `base_url`; tried
   * before `defaultBaseUrl`. Bedrock builds its regional endpoint from `options.region` here.
   */
  defaultBaseUrlFor?(options: Options): string | undefined;
  /** True when the adapter needs a key (the config check uses it). */
  readonly requiresKey: boolean;
  /**
   * True when the adapter would take a key's `value` for the path of a file on the gateway's host
   * rather than the secret itself: the admin API refuses such values (a path is for the config file).
   */
  keyReadsFile?(value: string): boolean;

  /** Builds the upstream chat request for `upstreamModel` with `key` (undefined if keyless). */
  buildChatRequest(request: ChatRequest, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  /** Builds the upstream embeddings request for `upstreamModel`, the body encoded with the adapter's `embeddingCodec`. */
  buildEmbeddingRequest?(request: EmbeddingRequest, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  /**
   * Where OpenAI's audio request `operation` for `upstreamModel` goes and the headers that carry
   * the key, for providers that serve OpenAI's audio endpoints in OpenAI's wire format (the body is
   * built by the gateway: JSON for speech, multipart for transcriptions). Absent: no audio.
   */
  audioTarget?(operation: AudioOperation, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): { url: string; headers: Record<string, string> };
  /**
   * Where OpenAI's multipart image request `operation` (an edit, a variation) for `upstreamModel`
   * goes and the headers that carry the key, for providers that serve them in OpenAI's wire format
   * (the body is the caller's upload, re-encoded by the gateway; the answer is an image generation's).
   */
  imageUploadTarget?(operation: ImageUploadOperation, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): { url: string; headers: Record<string, string> };
  /**
   * Where a realtime WebSocket session on `upstreamModel` connects (`wss://…`, from the provider's
   * base URL) and the headers that carry the key, for providers that serve OpenAI's realtime API
   * (OpenAI's `/realtime?model=`, Azure's `/openai/realtime?deployment=`). Absent: no realtime.
   */
  realtimeTarget?(upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): { url: string; headers: Record<string, string> };
  /**
   * Where OpenAI's Files API (`/files`) and Batch API (`/batches`) are, in OpenAI's wire format, for
   * providers that keep files and run batches natively (OpenAI, Azure). Absent: the gateway keeps
   * batch input files itself and runs the batches through its pipeline.
   */
  storedResourceTarget?(resource: StoredResource, key: ProviderKey | undefined, settings: ProviderSettings<Options>): StoredResourceTarget;
  /** The provider's own batch API for chat requests, which OpenAI batches of chat completions are translated to (Anthropic's Message Batches, Gemini's batch mode). */
  readonly chatBatches?: ChatBatchApi<Options>;
  /** The rerank wire format, for providers that rank documents against a query (Cohere). */
  readonly rerankCodec?: RerankCodec;
  /** Builds the upstream rerank request for `upstreamModel`, the body encoded with the adapter's `rerankCodec`. */
  buildRerankRequest?(request: RerankRequest, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  /** The moderations wire format, for providers with a content classifier (OpenAI's `/moderations`). */
  readonly moderationCodec?: ModerationCodec;
  buildModerationRequest?(request: ModerationRequest, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  /**
   * The legacy text completions wire format, for providers that serve `/completions` natively
   * (OpenAI, vLLM, Together, Fireworks, Ollama). Without it a text completion is sent as chat.
   */
  readonly completionCodec?: UpstreamChatCodec;
  /** Builds the upstream text completion request of a chat request carrying `textCompletion`; `framing: 'sse'` for streams. */
  buildCompletionRequest?(request: ChatRequest, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  /** The image generation wire format, for providers that make images (OpenAI's `/images/generations`). */
  readonly imageCodec?: ImageGenerationCodec;
  buildImageRequest?(request: ImageGenerationRequest, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  /**
   * The provider's own token counter, when it has one (Anthropic's `count_tokens`, Gemini's
   * `:countTokens`, OpenAI's `responses/input_tokens`). Without it the gateway estimates with a
   * local tokenizer of the model's family.
   */
  readonly tokenCounter?: TokenCounter<Options>;
  /**
   * The headers that carry a key to this provider (`Authorization: Bearer …`, `x-api-key`, …), for
   * the pass-through route, which forwards a caller's native request with the provider's
   * credentials in place of the caller's. Adapters that authenticate by signing (`sign`) need none.
   */
  credentialHeaders?(key: ProviderKey | undefined, settings: ProviderSettings<Options>): Record<string, string>;
  /**
   * Optional asynchronous last step before a built request is sent, for request signing (AWS
   * SigV4 over the final URL, headers and body). The pipeline awaits it for every upstream request
   * of the adapter; without it the built request is sent as is.
   */
  sign?(request: UpstreamHttpRequest, key: ProviderKey | undefined, settings: ProviderSettings<Options>): Promise<UpstreamHttpRequest>;
  /**
   * The secrets a key stands for, when the adapter sends more than its value (Bedrock: the access
   * key id, secret and session token of `ID:SECRET[:TOKEN]`). They are scrubbed from everything
   * that comes back from the upstream, along with the key's value and the request's credential
   * headers (see secret-scrubber.ts).
   */
  secretsOf?(key: ProviderKey): Iterable<string>;
  /**
   * Optional in-process execution (the built-in `mock` provider): when present, the gateway calls
   * it instead of making an HTTP request, and gets back what the upstream would have sent.
   */
  readonly local?: LocalExecutor<Options>;
}

/** A provider's native token counter: the request to send and where the count is in its answer. */
export interface TokenCounter<Options = unknown> {
  buildRequest(request: ChatRequest, upstreamModel: string, key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest;
  /** The input token count in the upstream's JSON answer; throws when it is not there. */
  decodeResponse(body: unknown): number;
}

/** An upstream's answer: status, headers and the body as a stream of chunks. */
export interface UpstreamHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer | string>;
  /**
   * Optional: the whole body as text in one read, cheaper than iterating `body` (use one or the
   * other). Rejects past `limitBytes`, with the same errors as iterating would.
   */
  text?(limitBytes: number): Promise<string>;
}

/** Serves upstream requests in-process (the `mock` provider) exactly as a remote upstream would. */
export interface LocalExecutor<Options = unknown> {
  execute(request: UpstreamHttpRequest, settings: ProviderSettings<Options>, signal: AbortSignal): Promise<UpstreamHttpResponse>;
}
