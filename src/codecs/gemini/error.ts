import type { GatewayError } from '../../spec/index.js';
import type { UpstreamErrorDetails } from '../codec.js';
import type { GeminiErrorEnvelope } from './wire.js';

interface GoogleStatus {
  code?: number;
  message?: string;
  status?: string;
  details?: unknown[];
}

/** Google answers with `{"error": {...}}`, or with `[{"error": {...}}]` on the JSON-array stream. */
function parseStatus(body: string): GoogleStatus | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) parsed = parsed[0];
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const error = (parsed as { error?: unknown }).error;
  return typeof error === 'object' && error !== null ? (error as GoogleStatus) : undefined;
}

function detailsOfType(status: GoogleStatus | undefined, type: string): Record<string, unknown>[] {
  const details = Array.isArray(status?.details) ? status.details : [];
  return details.filter((detail): detail is Record<string, unknown> => typeof detail === 'object' && detail !== null && (detail as { '@type'?: unknown })['@type'] === type);
}

/** `google.rpc.RetryInfo.retryDelay` is a protobuf Duration in JSON: decimal seconds and an `s`, e.g. `"34.4s"`. */
function retryDelayMs(status: GoogleStatus | undefined): number | undefined {
  for (const detail of detailsOfType(status, 'type.googleapis.com/google.rpc.RetryInfo')) {
    const match = typeof detail.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay) : null;
    if (match !== null) return Number(match[1]) * 1000;
  }
  return undefined;
}

/** Gemini says an API key is invalid with a 400 whose ErrorInfo reason is API_KEY_INVALID. */
function isKeyError(status: GoogleStatus | undefined): boolean {
  return detailsOfType(status, 'type.googleapis.com/google.rpc.ErrorInfo').some((detail) => detail.reason === 'API_KEY_INVALID');
}

/**
 * Reads Google's error envelope (a google.rpc.Status): the message, the status word as the type
 * (`RESOURCE_EXHAUSTED`), a RetryInfo delay, and whether an ErrorInfo says the key is invalid.
 * Also reads the `{"error": …}` events of a stream.
 */
export function readGeminiError(body: string): UpstreamErrorDetails {
  const google = parseStatus(body);
  if (google === undefined) return {};
  const details: UpstreamErrorDetails = {};
  if (typeof google.message === 'string' && google.message !== '') details.message = google.message;
  if (typeof google.status === 'string' && google.status !== '') details.type = google.status;
  const delay = retryDelayMs(google);
  if (delay !== undefined) details.retryAfterMs = delay;
  if (isKeyError(google)) details.keyRejected = true;
  return details;
}

/** HTTP status → the google.rpc.Code name Google puts in `status`. */
function statusWord(httpStatus: number): string {
  switch (httpStatus) {
    case 400:
    case 413:
    case 415:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 402:
      return 'FAILED_PRECONDITION';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'UNIMPLEMENTED';
    case 408:
      return 'DEADLINE_EXCEEDED';
    case 409:
      return 'ALREADY_EXISTS';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 501:
      return 'UNIMPLEMENTED';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return httpStatus >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

/**
 * A GatewayError → Google's envelope. Tollgate's stable code travels as an ErrorInfo `reason`
 * (domain `tollgate`), and a retry delay as RetryInfo, where Google's own clients look for them.
 */
export function encodeGeminiError(error: GatewayError): GeminiErrorEnvelope {
  const details: Record<string, unknown>[] = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: error.code, domain: 'tollgate', ...(error.param !== undefined ? { metadata: { param: error.param } } : {}) }];
  if (error.retryAfterMs !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.ceil(error.retryAfterMs / 1000)}s` });
  return { error: { code: error.status, message: error.message, status: statusWord(error.status), details } };
}
