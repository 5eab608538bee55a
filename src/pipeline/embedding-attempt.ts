import { pickKey } from '../providers/instance.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { GatewayError, type EmbeddingRequest, type EmbeddingResponse } from '../spec/index.js';
import type { OperationResult } from './endpoint.js';
import type { Target } from './target.js';
import { sendJsonAttempt } from './json-attempt.js';

/** Sends one embeddings attempt: the provider's adapter encodes the spec request for its upstream. Throws GatewayError. */
export async function attemptEmbedding(target: Target, request: EmbeddingRequest, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<EmbeddingResponse>> {
  const provider = target.provider;
  const adapter = provider.adapter;
  if (adapter.buildEmbeddingRequest === undefined || adapter.embeddingCodec === undefined) {
    throw new GatewayError('operation_not_supported', `Provider \`${provider.name}\` (${adapter.type}) does not serve embeddings.`, { param: 'model' });
  }
  const key = target.key ?? pickKey(provider, target.model);
  const response = await sendJsonAttempt(target, key, adapter.buildEmbeddingRequest(request, target.model, key, provider.settings), transport, signal, (body) => adapter.embeddingCodec!.decodeResponse(body));
  return { keyId: key?.id, response, usage: response.usage };
}
