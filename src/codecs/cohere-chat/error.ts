import type { UpstreamErrorDetails } from '../codec.js';
import { isRecord } from './wire.js';

/**
 * Cohere answers errors with `{"message": "…"}` (some with an `id`) and the HTTP status
 * (https://docs.cohere.com/reference/errors); what the status means is the upstream-error mapper's.
 */
export function readCohereError(body: string): UpstreamErrorDetails {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (!isRecord(parsed)) return {};
  const details: UpstreamErrorDetails = {};
  if (typeof parsed.message === 'string' && parsed.message !== '') details.message = parsed.message;
  return details;
}
