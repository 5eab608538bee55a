import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayOptions } from '../spec/index.js';

export const FALLBACKS_HEADER = 'x-tollgate-fallbacks';

/**
 * Adds the fallbacks a caller sent as `x-tollgate-fallbacks: openai/gpt-4o, anthropic/claude-sonnet-4-5`
 * after those of the body (`"fallbacks": [...]`). Returns the request unchanged when there is no header.
 */
export function withHeaderFallbacks<Request extends { gateway?: GatewayOptions }>(request: Request, headers: IncomingHttpHeaders): Request {
  const value = headers[FALLBACKS_HEADER];
  if (value === undefined) return request;
  const listed = (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (listed.length === 0) return request;
  const fallbacks = [...(request.gateway?.fallbacks ?? []), ...listed];
  return { ...request, gateway: { ...request.gateway, fallbacks } };
}
