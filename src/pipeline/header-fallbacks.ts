import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayOptions } from '../spec/index.js';

export const FALLBACKS_HEADER = 'x-tollgate-fallbacks';

/**
 * Adds the fallbacks a caller sent as `x-tollgate-fallbacks: openai/gpt-4o, anthropic/claude-sonnet-4-5`
 * after those of the body (`"fallbacks": [...]`). Returns the request unchanged when there is no header.
 */
export function withHeaderFallbacks<Request extends { gateway?: GatewayOptions }>(request: Request, headers: IncomingHttpHeaders): Request {
  const listed = headerFallbacks(headers);
  if (listed === undefined) return request;
  const fallbacks = [...(request.gateway?.fallbacks ?? []), ...listed];
  return { ...request, gateway: { ...request.gateway, fallbacks } };
}

/** The fallbacks of `x-tollgate-fallbacks` after `listed` (the body's), or `listed` when there is no header. */
export function plusHeaderFallbacks(listed: readonly string[] | undefined, headers: IncomingHttpHeaders): readonly string[] | undefined {
  const fromHeader = headerFallbacks(headers);
  return fromHeader === undefined ? listed : [...(listed ?? []), ...fromHeader];
}

function headerFallbacks(headers: IncomingHttpHeaders): string[] | undefined {
  const value = headers[FALLBACKS_HEADER];
  if (value === undefined) return undefined;
  const listed = (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  return listed.length === 0 ? undefined : listed;
}
