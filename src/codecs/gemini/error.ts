import { GatewayError } from '../../spec/index.js';
import type { GeminiErrorEnvelope } from './wire.js';

type Headers = Record<string, string | string[] | undefined>;

interface GoogleStatus {
  code?: number;
  message?: string;
  status?: string;
  details?: unknown[];
}

/** Google API keys (`AIza` + 35 characters) and `key=` query parameters never reach a caller or a log. */
function scrub(text: string): string {
  return text.replace(/AIza[0-9A-Za-z_-]{35}/g, '[redacted]').replace(/([?&]key=)[^&\s"']+/g, '$1[redacted]');
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
    if (match !== null) return Math.ceil(Number(match[1]) * 1000);
  }
  return undefined;
}

function retryAfterMs(headers: Headers): number | undefined {
  const raw = headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Gemini says an API key is invalid with a 400 whose ErrorInfo reason is API_KEY_INVALID. */
function isKeyError(status: GoogleStatus | undefined): boolean {
  return detailsOfType(status, 'type.googleapis.com/google.rpc.ErrorInfo').some((detail) => detail.reason === 'API_KEY_INVALID');
}

/**
 * An upstream error → GatewayError, keeping Google's message and status word:
 * 429 → upstream_rate_limited (retryable, delay from RetryInfo or Retry-After); 401/403 and invalid
 * keys → upstream_auth_failed; 408/5xx → upstream_error, retryable; other 4xx → upstream_error.
 */
export function decodeGeminiError(status: number, body: string, headers: Headers): GatewayError {
  const google = parseStatus(body);
  const detail = google?.message ?? (body.trim().length > 0 ? body.trim().slice(0, 500) : `HTTP ${status}`);
  const message = scrub(`Gemini: ${detail}${google?.status !== undefined ? ` (${google.status})` : ''}`);
  if (status === 429) {
    return new GatewayError('upstream_rate_limited', message, { retryable: true, retryAfterMs: retryDelayMs(google) ?? retryAfterMs(headers), upstreamStatus: status });
  }
  if (status === 401 || status === 403 || isKeyError(google)) return new GatewayError('upstream_auth_failed', message, { upstreamStatus: status });
  if (status === 408 || status >= 500) return new GatewayError('upstream_error', message, { status, retryable: true, retryAfterMs: retryAfterMs(headers), upstreamStatus: status });
  return new GatewayError('upstream_error', message, { status: status >= 400 ? status : 502, upstreamStatus: status });
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
