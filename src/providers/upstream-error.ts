import type { ChatCodec, UpstreamErrorDetails, UpstreamHeaders } from '../codecs/codec.js';
import { GatewayError } from '../spec/index.js';
import { credentialShapeScrubber, type SecretScrubber } from './secret-scrubber.js';
import { headerValue } from '../codecs/header-value.js';

/** Characters of an upstream error message kept (after scrubbing); the rest is cut with an ellipsis. */
export const MAX_UPSTREAM_MESSAGE_CHARS = 1000;
/** Characters kept of a body that is not the dialect's error envelope (an HTML page from a proxy). */
const BODY_EXCERPT_CHARS = 500;
/** Characters kept of the `param` a provider blames. */
const MAX_PARAM_CHARS = 200;

/**
 * An upstream HTTP error → GatewayError, the same for every provider; the codec only reads its
 * dialect's body (`readError`):
 *
 * - 429 → `upstream_rate_limited`, retryable;
 * - 401, 403, or a body saying the key is invalid → `upstream_auth_failed` (502), not retryable:
 *   the operator must fix the key;
 * - 408, 424 (the model behind the API failed) and 5xx → `upstream_error`, retryable, the
 *   upstream status kept (503 stays 503, Anthropic's 529 stays 529);
 * - any other status → `upstream_error`, not retryable (the request's fault), the status kept.
 *
 * A retry delay comes from the body (Gemini's RetryInfo), else `retry-after-ms` (OpenAI's), else
 * `Retry-After` in seconds or as an HTTP date; always rounded up to whole milliseconds. The message
 * is the provider's (`Anthropic rate_limit_error: …` where the dialect names its provider), or an
 * excerpt of a body that is not an error envelope; it is scrubbed of the attempt's secrets and of
 * anything credential-shaped, then cut to MAX_UPSTREAM_MESSAGE_CHARS.
 */
export function upstreamError(codec: Pick<ChatCodec, 'readError' | 'errorLabel'>, status: number, body: string, headers: UpstreamHeaders, scrubber: SecretScrubber = credentialShapeScrubber): GatewayError {
  const lowerCased = lowerCaseNames(headers);
  const details = readDetails(codec, body, lowerCased);
  const message = cut(describe(codec.errorLabel, status, details, body, scrubber), MAX_UPSTREAM_MESSAGE_CHARS);
  const param = details.param === undefined ? undefined : cut(scrubber.scrub(details.param), MAX_PARAM_CHARS);
  const common = { upstreamStatus: status, ...(param === undefined ? {} : { param }) };
  if (status === 429) return new GatewayError('upstream_rate_limited', message, { ...common, retryable: true, ...retryAfter(details, lowerCased) });
  if (status === 401 || status === 403 || details.keyRejected === true) return new GatewayError('upstream_auth_failed', message, { ...common, retryable: false });
  if (status === 408 || status === 424 || status >= 500) {
    return new GatewayError('upstream_error', message, { ...common, status: keptStatus(status), retryable: true, ...retryAfter(details, lowerCased) });
  }
  return new GatewayError('upstream_error', message, { ...common, status: keptStatus(status), retryable: false });
}

/**
 * `Retry-After` → milliseconds: `retry-after-ms` (OpenAI's, more precise) wins, then `retry-after`
 * in seconds or as an HTTP date; rounded up, never negative; undefined when absent or unreadable.
 * Header names must be lower-case (as Node and undici give them).
 */
export function retryAfterMs(headers: UpstreamHeaders, now: number = Date.now()): number | undefined {
  const milliseconds = headerValue(headers, 'retry-after-ms');
  if (milliseconds !== undefined && milliseconds.trim() !== '') {
    const value = Number(milliseconds);
    if (Number.isFinite(value)) return roundUp(value);
  }
  const value = headerValue(headers, 'retry-after');
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return roundUp(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : roundUp(date - now);
}

function retryAfter(details: UpstreamErrorDetails, headers: UpstreamHeaders): { retryAfterMs?: number } {
  const fromBody = details.retryAfterMs;
  const delay = fromBody !== undefined && Number.isFinite(fromBody) ? roundUp(fromBody) : retryAfterMs(headers);
  return delay === undefined ? {} : { retryAfterMs: delay };
}

/** Whole milliseconds, rounded up (a caller never retries early); negative delays are 0. */
function roundUp(milliseconds: number): number {
  return Math.max(0, Math.ceil(milliseconds));
}

/** An upstream status the caller may see: 4xx and 5xx are kept, anything else reads as 502. */
function keptStatus(status: number): number {
  return status >= 400 && status <= 599 ? status : 502;
}

/** The message shown: the provider's, or an excerpt of a body that is not its error envelope; scrubbed. */
function describe(label: string | undefined, status: number, details: UpstreamErrorDetails, body: string, scrubber: SecretScrubber): string {
  // The body is scrubbed whole before it is cut, so that no secret straddles the cut half-hidden.
  const trimmed = details.message === undefined ? body.trim() : '';
  const excerpt = trimmed === '' ? undefined : cut(scrubber.scrub(trimmed), BODY_EXCERPT_CHARS);
  let text: string;
  if (label === undefined) {
    // OpenAI's dialect: the provider's message as it wrote it (clients show it as such).
    if (details.message !== undefined) text = details.message;
    else text = excerpt === undefined ? `Upstream answered ${status} without a message.` : `Upstream answered ${status}: ${excerpt}`;
  } else {
    text = `${label} ${details.type ?? `HTTP ${status}`}: ${details.message ?? excerpt ?? 'no message'}`;
  }
  return scrubber.scrub(text);
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function readDetails(codec: Pick<ChatCodec, 'readError'>, body: string, headers: UpstreamHeaders): UpstreamErrorDetails {
  try {
    return codec.readError(body, headers);
  } catch {
    // A codec must not throw here; if one does, the body is shown as an excerpt.
    return {};
  }
}

/** Header names in lower case (Node's and undici's already are: then the same object). */
function lowerCaseNames(headers: UpstreamHeaders): UpstreamHeaders {
  let lower: UpstreamHeaders | undefined;
  for (const name in headers) {
    if (name !== name.toLowerCase()) {
      lower = {};
      break;
    }
  }
  if (lower === undefined) return headers;
  for (const name in headers) lower[name.toLowerCase()] = headers[name];
  return lower;
}
