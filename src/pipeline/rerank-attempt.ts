import { pickKey } from '../providers/instance.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { GatewayError, type RerankRequest, type RerankResponse } from '../spec/index.js';
import type { OperationResult } from './endpoint.js';
import type { Target } from './target.js';
import { sendJsonAttempt } from './json-attempt.js';

/**
 * Sends one rerank attempt: the provider's adapter encodes the spec request for its upstream. Throws
 * GatewayError (`operation_not_supported` for a provider without rerank). The attempt a
 * `/v1/rerank` operation endpoint calls, as the embeddings endpoint calls attemptEmbedding.
 */
export async function attemptRerank(target: Target, request: RerankRequest, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<RerankResponse>> {
  const provider = target.provider;
  const adapter = provider.adapter;
  if (adapter.buildRerankRequest === undefined || adapter.rerankCodec === undefined) {
    throw new GatewayError('operation_not_supported', `Provider \`${provider.name}\` (${adapter.type}) does not serve rerank.`, { param: 'model' });
  }
  const key = target.key ?? pickKey(provider, target.model);
  const codec = adapter.rerankCodec;
  return sendJsonAttempt(target, key, adapter.buildRerankRequest(request, target.model, key, provider.settings), transport, signal, (parsed) => {
    const response = codec.decodeResponse(parsed);
    if (response.model === '') response.model = target.model;
    // Providers that no longer echo documents (Cohere v2) get them from the request when asked for.
    if (request.returnDocuments === true) for (const result of response.results) result.document ??= request.documents[result.index];
    // Search units (Cohere's) are priced per search; token counts (vLLM, Jina) per token.
    const usage = response.searchUnits === undefined ? response.usage : { ...response.usage, units: { searches: response.searchUnits } };
    return { keyId: key?.id, response, usage };
  });
}
