import type { ProviderInstance } from '../providers/instance.js';
import type { UpstreamHttpRequest, UpstreamHttpResponse } from '../providers/provider.js';
import type { HttpTransport, UpstreamTimeouts } from '../providers/transport/http-transport.js';

/** Sends a built request to its provider: in-process for local adapters, over HTTP otherwise. */
export function callUpstream(provider: ProviderInstance, request: UpstreamHttpRequest, transport: HttpTransport, signal: AbortSignal, timeouts?: UpstreamTimeouts): Promise<UpstreamHttpResponse> {
  const local = provider.adapter.local;
  if (local !== undefined) return local.execute(request, provider.settings, signal);
  return transport.send(request, timeouts ?? provider.timeoutMs, signal);
}

