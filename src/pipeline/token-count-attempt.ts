import { pickKey } from '../providers/instance.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { type ChatRequest, type TokenCount, type Usage } from '../spec/index.js';
import { countTokensLocally } from '../tokenizers/local-token-counter.js';
import type { OperationResult } from './endpoint.js';
import type { Target } from './target.js';
import { sendJsonAttempt } from './json-attempt.js';

/** Counting is free on every provider that offers it: the request is billed nothing, and says so. */
const FREE: Usage = { inputTokens: 0, outputTokens: 0 };

/**
 * Counts a request's input tokens on one target: with the provider's own counter when its adapter
 * has one, else locally with the tokenizer of the model's family. Throws GatewayError.
 */
export async function attemptTokenCount(target: Target, request: ChatRequest, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<TokenCount>> {
  const provider = target.provider;
  const counter = provider.adapter.tokenCounter;
  if (counter === undefined || provider.adapter.local !== undefined) {
    return { keyId: undefined, response: await countTokensLocally(request, target.model), usage: FREE };
  }
  const key = target.key ?? pickKey(provider, target.model);
  const inputTokens = await sendJsonAttempt(target, key, counter.buildRequest(request, target.model, key, provider.settings), transport, signal, (body) => counter.decodeResponse(body));
  return { keyId: key?.id, response: { inputTokens, counter: 'native' }, usage: FREE };
}
