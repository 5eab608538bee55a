import { pickKey } from '../providers/instance.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { readResponseText } from '../providers/transport/read-body.js';
import { GatewayError, type ChatRequest, type TokenCount, type Usage } from '../spec/index.js';
import { countTokensLocally } from '../tokenizers/local-token-counter.js';
import type { OperationResult } from './endpoint.js';
import type { Target } from './target.js';
import { scrubbed, sendAttempt } from './upstream-call.js';

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
  const { response: answer, scrubber } = await sendAttempt(target, key, counter.buildRequest(request, target.model, key, provider.settings), transport, signal);
  try {
    const text = await readResponseText(answer);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new GatewayError('upstream_invalid_response', `${provider.name} answered the token count with a body that is not JSON.`, { retryable: true });
    }
    return { keyId: key?.id, response: { inputTokens: counter.decodeResponse(parsed), counter: 'native' }, usage: FREE };
  } catch (error) {
    throw scrubbed(error, scrubber);
  }
}
