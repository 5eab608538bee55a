import { pickKey } from '../providers/instance.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { GatewayError, type ModerationRequest, type ModerationResponse } from '../spec/index.js';
import type { OperationResult } from './endpoint.js';
import { sendJsonAttempt } from './json-attempt.js';
import type { Target } from './target.js';

/**
 * Sends one moderations attempt. Moderations report no usage: the request is recorded as free
 * unless the price list prices the model (`freeUnlessPriced`). Throws GatewayError.
 */
export async function attemptModeration(target: Target, request: ModerationRequest, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<ModerationResponse>> {
  const provider = target.provider;
  const adapter = provider.adapter;
  if (adapter.buildModerationRequest === undefined || adapter.moderationCodec === undefined) {
    throw new GatewayError('operation_not_supported', `Provider \`${provider.name}\` (${adapter.type}) does not serve moderations.`, { param: 'model' });
  }
  const codec = adapter.moderationCodec;
  const key = target.key ?? pickKey(provider, target.model);
  const response = await sendJsonAttempt(target, key, adapter.buildModerationRequest(request, target.model, key, provider.settings), transport, signal, (body) => codec.decodeResponse(body));
  if (response.model === '') response.model = target.model;
  const usage = { ...response.usage, units: { freeUnlessPriced: true } };
  return { keyId: key?.id, response, usage };
}
