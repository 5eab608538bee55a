import { ERROR_CODES, GatewayError } from '../../spec/index.js';
import { isObject, stringOrUndefined } from './read-fields.js';
import { scrubSecrets } from './scrub-secrets.js';

type Headers = Record<string, string | string[] | undefined>;

const MAX_MESSAGE_LENGTH = 1000;

/**
 * An upstream HTTP error → GatewayError. Reads OpenAI's `{"error":{message,type,code,param}}` and
 * the shapes OpenAI-compatible servers use instead (`{"message"}`, `{"error":"…"}`, FastAPI's
 * `{"detail"}`), falling back to the body text. The upstream status is always kept.
 */
export function decodeOpenAIError(status: number, body: string, headers: Headers): GatewayError {
  const { message, param } = readEnvelope(body, status);
  const safeMessage = scrubSecrets(message).slice(0, MAX_MESSAGE_LENGTH);
  const common = { upstreamStatus: status, ...(param === undefined ? {} : { param }) };
  if (status === 429) {
    const retryAfterMs = retryAfter(headers);
    return new GatewayError('upstream_rate_limited', safeMessage, { ...common, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (status === 401 || status === 403) return new GatewayError('upstream_auth_failed', safeMessage, common);
  if (status === 408 || status >= 500) {
    const retryAfterMs = retryAfter(headers);
    return new GatewayError('upstream_error', safeMessage, { ...common, status, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  return new GatewayError('upstream_error', safeMessage, { ...common, status, retryable: false });
}

/** A GatewayError → OpenAI's error envelope, `code` being the gateway's stable code. */
export function encodeOpenAIError(error: GatewayError): { error: { message: string; type: string; code: string; param: string | null } } {
  return { error: { message: error.message, type: ERROR_CODES[error.code].type, code: error.code, param: error.param ?? null } };
}

/** The provider's message inside an error payload (also used for `{"error":…}` events mid-stream). */
export function readErrorPayload(payload: unknown): { message: string | undefined; type: string | undefined; param: string | undefined } {
  if (!isObject(payload)) return { message: undefined, type: undefined, param: undefined };
  const error = payload.error;
  if (isObject(error)) {
    return { message: stringOrUndefined(error.message), type: stringOrUndefined(error.type), param: stringOrUndefined(error.param) };
  }
  if (typeof error === 'string') return { message: error, type: undefined, param: undefined };
  // Mistral answers `{"object":"error","message":{"detail":[…]}}`; FastAPI servers `{"detail":…}`.
  return { message: asText(payload.message) ?? asText(payload.detail), type: stringOrUndefined(payload.type), param: undefined };
}

function readEnvelope(body: string, status: number): { message: string; param: string | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const { message, param } = readErrorPayload(parsed);
  if (message !== undefined && message.length > 0) return { message, param };
  const text = body.trim();
  return { message: text.length > 0 ? `Upstream answered ${status}: ${text}` : `Upstream answered ${status} without a message.`, param };
}

/** `retry-after-ms` (OpenAI's own, more precise) wins over `retry-after` (seconds or an HTTP date). */
function retryAfter(headers: Headers): number | undefined {
  const milliseconds = Number(header(headers, 'retry-after-ms'));
  if (header(headers, 'retry-after-ms') !== undefined && Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = header(headers, 'retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function header(headers: Headers, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const [key, candidate] of Object.entries(headers)) if (key.toLowerCase() === name) value = candidate;
  }
  return Array.isArray(value) ? value[0] : value;
}

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
