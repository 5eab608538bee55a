import type { UnifiedFinishReason } from '../../spec/index.js';

/**
 * Attribute names of the OpenTelemetry GenAI semantic conventions (development status; see
 * https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/) and the general HTTP/server/error
 * ones they refer to. Spelled out here rather than imported so a semconv package update cannot
 * silently rename what dashboards already query.
 */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  /** Superseded by `gen_ai.provider.name`; still read by many backends, so both are set. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  responseTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheWriteInputTokens: 'gen_ai.usage.cache_write.input_tokens',
  usageReasoningOutputTokens: 'gen_ai.usage.reasoning.output_tokens',
} as const;

export const GENERAL = {
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  httpRequestMethod: 'http.request.method',
  httpResponseStatusCode: 'http.response.status_code',
  urlPath: 'url.path',
} as const;

/** Tollgate's own attributes: ids only, never secrets or content. */
export const TOLLGATE = {
  requestId: 'tollgate.request_id',
  surface: 'tollgate.surface',
  virtualKeyId: 'tollgate.virtual_key_id',
  teamId: 'tollgate.team_id',
  customerId: 'tollgate.customer_id',
  costUsd: 'tollgate.cost_usd',
  attempts: 'tollgate.attempts',
  /** The configured provider instance (`providers.<name>`), which `gen_ai.provider.name` cannot tell apart. */
  provider: 'tollgate.provider',
  /** Id of the provider key used (`keys[].id`), never its value. */
  providerKeyId: 'tollgate.provider_key_id',
  /** 1-based position of an attempt within its request. */
  attempt: 'tollgate.attempt',
} as const;

/**
 * `gen_ai.provider.name` well-known values by adapter type; types without one (vllm, ollama,
 * together, …) are reported as their own type, as the conventions allow for unlisted providers.
 */
const WELL_KNOWN_PROVIDERS: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  mistral: 'mistral_ai',
  groq: 'groq',
  xai: 'x_ai',
  deepseek: 'deepseek',
  perplexity: 'perplexity',
  bedrock: 'aws.bedrock',
  cohere: 'cohere',
};

export function genAiProviderName(adapterType: string): string {
  return WELL_KNOWN_PROVIDERS[adapterType] ?? adapterType;
}

/** Finish reasons in the OpenAI spelling most GenAI instrumentations report (`tool_calls`, `content_filter`). */
export function genAiFinishReason(reason: UnifiedFinishReason): string {
  return reason.replace('-', '_');
}
