import { GatewayError } from '../../spec/index.js';
import { isRecord } from './wire-types.js';

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` in seconds or as an HTTP date → milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const value = header(headers, 'retry-after');
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Reads Anthropic's envelope `{"type":"error","error":{"type","message"}}`; falls back to the raw text. */
export function readAnthropicError(body: string): { type: string | undefined; message: string | undefined } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed) && isRecord(parsed.error)) {
      const { type, message } = parsed.error;
      return { type: typeof type === 'string' ? type : undefined, message: typeof message === 'string' ? message : undefined };
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): keep a short excerpt of the text below.
  }
  const text = body.trim();
  return { type: undefined, message: text === '' ? undefined : text.slice(0, 500) };
}

function describe(status: number, type: string | undefined, message: string | undefined): string {
  const kind = type ?? `HTTP ${status}`;
  return `Anthropic ${kind}: ${message ?? 'no message'}`;
}

/**
 * An upstream HTTP error → GatewayError. 429 is a rate limit; 529 (`overloaded_error`), 408 and
 * 5xx are retryable upstream errors with the status kept; 401/403 mean the provider key is bad;
 * other 4xx are the request's fault and keep their status.
 */
export function decodeAnthropicError(status: number, body: string, headers: Headers): GatewayError {
  const { type, message } = readAnthropicError(body);
  const text = describe(status, type, message);
  const retryAfter = retryAfterMs(headers);
  const common = { upstreamStatus: status, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }) };
  if (status === 429) return new GatewayError('upstream_rate_limited', text, { ...common, retryable: true });
  if (status === 401 || status === 403) return new GatewayError('upstream_auth_failed', text, { ...common, retryable: false });
  const retryable = status >= 500 || status === 408;
  return new GatewayError('upstream_error', text, { ...common, status, retryable });
}

/**
 * An `event: error` inside a stream → GatewayError. Anthropic sends these after the 200 response,
 * e.g. `overloaded_error` when capacity runs out mid-stream; those and `api_error` are retryable.
 */
export function decodeAnthropicStreamError(payload: unknown): GatewayError {
  const error = isRecord(payload) && isRecord(payload.error) ? payload.error : {};
  const type = typeof error.type === 'string' ? error.type : undefined;
  const message = typeof error.message === 'string' ? error.message : undefined;
  const text = `Anthropic stream ${type ?? 'error'}: ${message ?? 'no message'}`;
  if (type === 'rate_limit_error') return new GatewayError('upstream_rate_limited', text, { retryable: true, upstreamStatus: 429 });
  if (type === 'overloaded_error') return new GatewayError('upstream_stream_error', text, { retryable: true, upstreamStatus: 529 });
  if (type === 'api_error' || type === 'timeout_error') return new GatewayError('upstream_stream_error', text, { retryable: true });
  return new GatewayError('upstream_stream_error', text, { retryable: false });
}

/** The Anthropic error type a client expects for an HTTP status. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export interface AnthropicErrorEnvelope {
  type: 'error';
  error: { type: string; message: string; code: string; param?: string };
}

/**
 * A GatewayError → Anthropic's envelope. The Anthropic `type` follows the status (what SDKs and
 * Claude Code switch on); our stable code rides along in `error.code`, which Anthropic clients ignore.
 */
export function encodeAnthropicError(error: GatewayError): AnthropicErrorEnvelope {
  const body: AnthropicErrorEnvelope['error'] = { type: anthropicErrorType(error.status), message: error.message, code: error.code };
  if (error.param !== undefined) body.param = error.param;
  return { type: 'error', error: body };
}
