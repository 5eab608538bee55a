import { chatCodecOf, type ProviderInstance } from '../providers/instance.js';
import type { ProviderKey, UpstreamHttpRequest, UpstreamHttpResponse } from '../providers/provider.js';
import { readErrorBody } from '../providers/transport/read-body.js';
import type { HttpTransport, UpstreamTimeouts } from '../providers/transport/http-transport.js';
import { attemptScrubber, type SecretScrubber } from '../providers/secret-scrubber.js';
import { upstreamError } from '../providers/upstream-error.js';
import { GatewayError } from '../spec/index.js';
import type { Target } from './target.js';

/** Sends a built request to its provider: in-process for local adapters, over HTTP otherwise. */
export function callUpstream(provider: ProviderInstance, request: UpstreamHttpRequest, transport: HttpTransport, signal: AbortSignal, timeouts?: UpstreamTimeouts): Promise<UpstreamHttpResponse> {
  const local = provider.adapter.local;
  if (local !== undefined) return local.execute(request, provider.settings, signal);
  return transport.send(request, timeouts ?? provider.timeoutMs, signal);
}

/** An upstream that answered with a success status, and the scrubber of the secrets its request carried. */
export interface AnsweredAttempt {
  request: UpstreamHttpRequest;
  response: UpstreamHttpResponse;
  scrubber: SecretScrubber;
}

/**
 * The part every operation's attempt shares: signs the request the adapter built (when the adapter
 * signs), sends it, and turns a failure or an error status into the mapped GatewayError with the
 * attempt's secrets scrubbed from it.
 */
export async function sendAttempt(target: Target, key: ProviderKey | undefined, built: UpstreamHttpRequest, transport: HttpTransport, signal: AbortSignal): Promise<AnsweredAttempt> {
  const provider = target.provider;
  const adapter = provider.adapter;
  const request = adapter.sign === undefined ? built : await adapter.sign(built, key, provider.settings);
  const scrubber = attemptScrubber(adapter, key, request);
  let response: UpstreamHttpResponse;
  try {
    response = await callUpstream(provider, request, transport, signal, target.timeouts);
  } catch (error) {
    throw scrubbed(error, scrubber);
  }
  if (response.status >= 400) throw upstreamError(chatCodecOf(provider, target.model), response.status, await readErrorBody(response), response.headers, scrubber);
  return { request, response, scrubber };
}

/** A failure with its message scrubbed; anything that is not a GatewayError (a caller's abort) is left as it is. */
export function scrubbed(error: unknown, scrubber: SecretScrubber): unknown {
  return GatewayError.is(error) ? scrubber.scrubError(error) : error;
}
