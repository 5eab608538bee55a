import { z } from 'zod';
import { geminiImageCodec, isImagenModel } from '../../codecs/gemini/image-codec.js';
import type { UpstreamChatCodec } from '../../codecs/codec.js';
import { encodeGeminiRequest, geminiCodec } from '../../codecs/gemini/index.js';
import { vertexEmbeddingCodec } from '../../codecs/vertex-embeddings/index.js';
import { compileModelPatterns, type ModelPatterns } from '../../lib/model-patterns.js';
import { GatewayError } from '../../spec/index.js';
import type { ProviderAdapter, ProviderKey, ProviderSettings, UpstreamHttpRequest } from '../provider.js';
import { anthropicOnVertexCodec, encodeAnthropicOnVertex } from './anthropic-on-vertex.js';
import { isInlineKey, knownAccount, loadAccount, type ServiceAccount } from './service-account.js';
import { TokenSource } from './token-source.js';
import { DEFAULT_REGION, PENDING_PROJECT, regionSchema, vertexBaseUrl, vertexModelUrl, withProject } from './vertex-url.js';

export const vertexOptionsSchema = z.strictObject({
  /** The Google Cloud project; default: each key's service account `project_id`. */
  project: z.string().min(1).optional(),
  /** The location models are called in (`us-central1`, `europe-west4`, `global`); it also picks the endpoint when no `base_url` is set. */
  region: regionSchema.default(DEFAULT_REGION),
  /** Models served by the Anthropic publisher (`:rawPredict`, Anthropic's Messages format); every other model is Google's (Gemini). */
  anthropic_models: z.array(z.string().min(1)).default(['claude*']),
  /** False stops sending Gemini tool call ids, for models that reject them. */
  function_call_ids: z.boolean().default(true),
});

export type VertexOptions = z.infer<typeof vertexOptionsSchema>;

/** `anthropic_models` compiled once per configured provider. */
const anthropicPatterns = new WeakMap<VertexOptions, ModelPatterns>();

/** True when `model` is served by the Anthropic publisher. */
function isAnthropic(model: string, options: VertexOptions): boolean {
  let patterns = anthropicPatterns.get(options);
  if (patterns === undefined) {
    patterns = compileModelPatterns(options.anthropic_models);
    anthropicPatterns.set(options, patterns);
  }
  return patterns.matches(model);
}

/** Gemini on Vertex: Google's format; errors named for Vertex AI. */
const geminiOnVertexCodec: UpstreamChatCodec = { ...geminiCodec, errorLabel: 'Vertex AI' };

/** Token sources per configured key: one cached access token per service account. */
const tokenSources = new WeakMap<ProviderKey, TokenSource>();

function tokenSourceFor(key: ProviderKey, providerName: string): TokenSource {
  let source = tokenSources.get(key);
  if (source === undefined) {
    source = new TokenSource(async () => {
      const account = await loadAccount(key, providerName);
      const { fetchAccessToken } = await (oauth ??= import('./oauth.js'));
      return fetchAccessToken(account, providerName);
    });
    tokenSources.set(key, source);
  }
  return source;
}

/** The project for `key`: the configured one, its account's, or PENDING_PROJECT while its key file is unread. */
function projectFor(key: ProviderKey | undefined, settings: ProviderSettings<VertexOptions>): string {
  if (settings.options.project !== undefined) return settings.options.project;
  if (key === undefined) return PENDING_PROJECT;
  return knownAccount(key, settings.name)?.projectId ?? PENDING_PROJECT;
}

function headers(settings: ProviderSettings<VertexOptions>, stream: boolean): Record<string, string> {
  return { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', ...settings.headers };
}

/**
 * Google Cloud Vertex AI. Gemini models through `publishers/google/models/{model}:generateContent`
 * (`:streamGenerateContent?alt=sse`), in Google's format; Claude models (`anthropic_models`,
 * default `claude*`) through `publishers/anthropic/models/{model}:rawPredict`
 * (`:streamRawPredict`), in Anthropic's Messages format with `anthropic_version: vertex-2023-10-16`;
 * embeddings through `:predict`. A key is a service-account key, its JSON inline or a path to the
 * file; each request carries an OAuth access token obtained with it (google-auth-library), cached
 * and refreshed ahead of its expiry.
 */
export const vertexAdapter: ProviderAdapter<VertexOptions> = {
  type: 'vertex',
  optionsSchema: vertexOptionsSchema,
  chatCodec: geminiOnVertexCodec,
  embeddingCodec: vertexEmbeddingCodec,
  requiresKey: true,
  keyReadsFile: (value) => !isInlineKey(value),
  defaultBaseUrlFor(options) {
    return vertexBaseUrl(options.region);
  },
  chatCodecFor(model, options) {
    return isAnthropic(model, options) ? anthropicOnVertexCodec : geminiOnVertexCodec;
  },
  buildChatRequest(request, upstreamModel, key, settings) {
    const region = settings.options.region;
    const project = projectFor(key, settings);
    if (isAnthropic(upstreamModel, settings.options)) {
      return {
        url: vertexModelUrl(settings.baseUrl, project, region, 'anthropic', upstreamModel, request.stream ? 'streamRawPredict' : 'rawPredict'),
        method: 'POST',
        headers: headers(settings, request.stream),
        body: JSON.stringify(encodeAnthropicOnVertex(request, upstreamModel)),
        framing: 'sse',
      };
    }
    const body = encodeGeminiRequest(request, { includeFunctionCallIds: settings.options.function_call_ids });
    return {
      url: request.stream ? `${vertexModelUrl(settings.baseUrl, project, region, 'google', upstreamModel, 'streamGenerateContent')}?alt=sse` : vertexModelUrl(settings.baseUrl, project, region, 'google', upstreamModel, 'generateContent'),
      method: 'POST',
      headers: headers(settings, request.stream),
      body: JSON.stringify(body),
      framing: 'sse',
    };
  },
  buildEmbeddingRequest(request, upstreamModel, key, settings) {
    const url = vertexModelUrl(settings.baseUrl, projectFor(key, settings), settings.options.region, 'google', upstreamModel, 'predict');
    return { url, method: 'POST', headers: headers(settings, false), body: JSON.stringify(vertexEmbeddingCodec.encodeRequest(request, upstreamModel)) };
  },
  imageCodec: geminiImageCodec,
  // Google's image models as on Gemini's API (see geminiImageCodec): Imagen at `:predict`, Gemini's image models at `:generateContent`.
  buildImageRequest(request, upstreamModel, key, settings) {
    const url = vertexModelUrl(settings.baseUrl, projectFor(key, settings), settings.options.region, 'google', upstreamModel, isImagenModel(upstreamModel) ? 'predict' : 'generateContent');
    return { url, method: 'POST', headers: headers(settings, false), body: JSON.stringify(geminiImageCodec.encodeRequest(request, upstreamModel)) };
  },
  async sign(request, key, settings): Promise<UpstreamHttpRequest> {
    if (key === undefined) return request;
    let account: ServiceAccount | undefined;
    let url = request.url;
    if (settings.options.project === undefined) {
      account = knownAccount(key, settings.name) ?? (await loadAccount(key, settings.name));
      if (account.projectId === undefined) {
        throw new GatewayError('upstream_auth_failed', `Provider \`${settings.name}\` has no project: set options.project or use a service-account key with a project_id.`, { retryable: false });
      }
      url = withProject(url, account.projectId);
    }
    const token = await tokenSourceFor(key, settings.name).token();
    return { ...request, url, headers: { ...request.headers, authorization: `Bearer ${token}` } };
  },
  secretsOf(key) {
    const secrets = [key.value];
    const account = accountIfRead(key);
    if (account !== undefined) secrets.push(account.privateKey);
    const token = tokenSources.get(key)?.cached;
    if (token !== undefined) secrets.push(token);
    return secrets;
  },
};

function accountIfRead(key: ProviderKey): ServiceAccount | undefined {
  try {
    return knownAccount(key, '');
  } catch {
    return undefined;
  }
}

/** google-auth-library loads with the first token, so gateways without Vertex never carry it. */
let oauth: Promise<typeof import('./oauth.js')> | undefined;
