import { z } from 'zod';
import { openaiChatCodec } from '../../codecs/openai-chat/index.js';
import { openaiCompletionCodec } from '../../codecs/openai-completions/index.js';
import { openaiEmbeddingCodec } from '../../codecs/openai-embeddings/index.js';
import { openaiImageCodec } from '../../codecs/openai-images/index.js';
import { webSocketUrl } from '../openai-compatible/create-adapter.js';
import type { ProviderAdapter, ProviderKey, ProviderSettings } from '../provider.js';

/** The latest GA data-plane inference version (https://learn.microsoft.com/azure/ai-services/openai/reference). */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/** The realtime API's preview version (https://learn.microsoft.com/azure/ai-services/openai/realtime-audio-reference). */
export const AZURE_REALTIME_API_VERSION = '2024-10-01-preview';

export const azureOptionsSchema = z.strictObject({
  /** The `api-version` query parameter. */
  api_version: z.string().min(1).default(AZURE_DEFAULT_API_VERSION),
  /** Model name → deployment name; a model without an entry is its own deployment. */
  deployments: z.record(z.string(), z.string().min(1)).default({}),
  /** The `api-version` of realtime sessions (`/openai/realtime`), which the GA inference versions do not serve. */
  realtime_api_version: z.string().min(1).default(AZURE_REALTIME_API_VERSION),
});

export type AzureOptions = z.infer<typeof azureOptionsSchema>;

/**
 * Azure OpenAI: the OpenAI wire format, addressed by deployment rather than model
 * (`<base>/openai/deployments/<deployment>/<operation>?api-version=…`), authenticated with `api-key`.
 * `deployments` maps model names to deployment names; a model without an entry is its own deployment.
 * A base URL already ending in `/openai/v1` uses Azure's v1 API, which takes the model in the body
 * and no `api-version`.
 */
export const azureAdapter: ProviderAdapter<AzureOptions> = {
  type: 'azure',
  optionsSchema: azureOptionsSchema,
  chatCodec: openaiChatCodec,
  embeddingCodec: openaiEmbeddingCodec,
  requiresKey: true,
  buildChatRequest(request, upstreamModel, key, settings) {
    const body = openaiChatCodec.encodeRequest(request, upstreamModel);
    return { url: urlFor(settings, upstreamModel, 'chat/completions'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(body), framing: 'sse' };
  },
  buildEmbeddingRequest(request, upstreamModel, key, settings) {
    const wire = openaiEmbeddingCodec.encodeRequest(request, upstreamModel);
    return { url: urlFor(settings, upstreamModel, 'embeddings'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(wire) };
  },
  completionCodec: openaiCompletionCodec,
  buildCompletionRequest(request, upstreamModel, key, settings) {
    const body = openaiCompletionCodec.encodeRequest(request, upstreamModel);
    return { url: urlFor(settings, upstreamModel, 'completions'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(body), framing: 'sse' };
  },
  imageCodec: openaiImageCodec,
  buildImageRequest(request, upstreamModel, key, settings) {
    const wire = openaiImageCodec.encodeRequest(request, upstreamModel);
    return { url: urlFor(settings, upstreamModel, 'images/generations'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(wire) };
  },
  credentialHeaders: (key): Record<string, string> => (key === undefined ? {} : { 'api-key': key.value }),
  // wss://<resource>/openai/realtime?api-version=…&deployment=…; Azure's v1 API takes the model instead.
  realtimeTarget(upstreamModel, key, settings) {
    const base = webSocketUrl(settings.baseUrl);
    const headers = key === undefined ? { ...settings.headers } : { ...settings.headers, 'api-key': key.value };
    if (base.endsWith('/openai/v1')) return { url: `${base}/realtime?model=${encodeURIComponent(upstreamModel)}`, headers };
    const root = base.endsWith('/openai') ? base : `${base}/openai`;
    const deployment = Object.hasOwn(settings.options.deployments, upstreamModel) ? settings.options.deployments[upstreamModel]! : upstreamModel;
    return { url: `${root}/realtime?api-version=${encodeURIComponent(settings.options.realtime_api_version)}&deployment=${encodeURIComponent(deployment)}`, headers };
  },
  imageUploadTarget: (operation, upstreamModel, key, settings) => ({ url: urlFor(settings, upstreamModel, operation), headers: key === undefined ? { ...settings.headers } : { ...settings.headers, 'api-key': key.value } }),
  audioTarget: (operation, upstreamModel, key, settings) => ({ url: urlFor(settings, upstreamModel, operation), headers: key === undefined ? { ...settings.headers } : { ...settings.headers, 'api-key': key.value } }),
  // Files and batches are per resource, not per deployment: `<base>/openai/files?api-version=…` (https://learn.microsoft.com/azure/ai-services/openai/how-to/batch).
  storedResourceTarget(resource, key, settings) {
    const base = settings.baseUrl;
    const headers = key === undefined ? { ...settings.headers } : { ...settings.headers, 'api-key': key.value };
    if (base.endsWith('/openai/v1')) return { url: `${base}/${resource}`, query: '', headers };
    const root = base.endsWith('/openai') ? base : `${base}/openai`;
    return { url: `${root}/${resource}`, query: `?api-version=${encodeURIComponent(settings.options.api_version)}`, headers };
  },
};

function urlFor(settings: ProviderSettings<AzureOptions>, model: string, operation: string): string {
  const base = settings.baseUrl;
  if (base.endsWith('/openai/v1')) return `${base}/${operation}`;
  const root = base.endsWith('/openai') ? base : `${base}/openai`;
  const deployment = Object.hasOwn(settings.options.deployments, model) ? settings.options.deployments[model]! : model;
  return `${root}/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${encodeURIComponent(settings.options.api_version)}`;
}

function headersFor(key: ProviderKey | undefined, settings: ProviderSettings<AzureOptions>): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...settings.headers };
  if (key !== undefined) headers['api-key'] = key.value;
  return headers;
}
