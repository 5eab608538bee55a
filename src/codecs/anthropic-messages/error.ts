import { GatewayError } from '../../spec/index.js';
import type { UpstreamErrorDetails } from '../codec.js';
import { isRecord } from './wire-types.js';

/**
 * Reads Anthropic's envelope `{"type":"error","error":{"type","message"}}`. What the status means
 * (529 `overloaded_error` and 5xx retryable, 401/403 a bad key, …) is the upstream-error mapper's.
 */
export function readAnthropicError(body: string): UpstreamErrorDetails {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (!isRecord(parsed) || !isRecord(parsed.error)) return {};
  const { type, message } = parsed.error;
  const details: UpstreamErrorDetails = {};
  if (typeof type === 'string') details.type = type;
  if (typeof message === 'string') details.message = message;
  return details;
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
