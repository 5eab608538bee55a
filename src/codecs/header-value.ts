import type { UpstreamHeaders } from './codec.js';

/** One header of an upstream answer (names in lower case, as Node and undici give them); the first of a repeated one. */
export function headerValue(headers: UpstreamHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
