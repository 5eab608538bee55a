import { openaiChatCodec } from '../../codecs/openai-chat/index.js';
import { openaiEmbeddingCodec } from '../../codecs/openai-embeddings/index.js';
import type { ProviderAdapter, ProviderKey, ProviderSettings } from '../provider.js';

/** The latest GA data-plane inference version (https://learn.microsoft.com/azure/ai-services/openai/reference). */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/**
 * Azure OpenAI: the OpenAI wire format, addressed by deployment rather than model
 * (`<base>/openai/deployments/<deployment>/<operation>?api-version=…`), authenticated with `api-key`.
 * `deployments` maps model names to deployment names; a model without an entry is its own deployment.
 * A base URL already ending in `/openai/v1` uses Azure's v1 API, which takes the model in the body
 * and no `api-version`.
 */
export const azureAdapter: ProviderAdapter = {
  type: 'azure',
  chatCodec: openaiChatCodec,
  embeddingCodec: openaiEmbeddingCodec,
  requiresKey: true,
  buildChatRequest(request, upstreamModel, key, settings) {
    const body = openaiChatCodec.encodeRequest(request, upstreamModel);
    return { url: urlFor(settings, upstreamModel, 'chat/completions'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(body), framing: 'sse' };
  },
  buildEmbeddingRequest(body, upstreamModel, key, settings) {
    const wire = openaiEmbeddingCodec.encodeRequest(openaiEmbeddingCodec.decodeRequest(body), upstreamModel);
    return { url: urlFor(settings, upstreamModel, 'embeddings'), method: 'POST', headers: headersFor(key, settings), body: JSON.stringify(wire) };
  },
};

function urlFor(settings: ProviderSettings, model: string, operation: string): string {
  const base = settings.baseUrl;
  if (base.endsWith('/openai/v1')) return `${base}/${operation}`;
  const root = base.endsWith('/openai') ? base : `${base}/openai`;
  const apiVersion = typeof settings.options.api_version === 'string' ? settings.options.api_version : AZURE_DEFAULT_API_VERSION;
  return `${root}/deployments/${encodeURIComponent(deploymentFor(settings, model))}/${operation}?api-version=${encodeURIComponent(apiVersion)}`;
}

function deploymentFor(settings: ProviderSettings, model: string): string {
  const deployments = settings.options.deployments;
  if (typeof deployments === 'object' && deployments !== null) {
    const deployment = (deployments as Record<string, unknown>)[model];
    if (typeof deployment === 'string' && deployment.length > 0) return deployment;
  }
  return model;
}

function headersFor(key: ProviderKey | undefined, settings: ProviderSettings): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...settings.headers };
  if (key !== undefined) headers['api-key'] = key.value;
  return headers;
}
