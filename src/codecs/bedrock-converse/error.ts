import { GatewayError } from '../../spec/index.js';
import type { UpstreamErrorDetails, UpstreamHeaders } from '../codec.js';
import { isRecord } from './wire-types.js';
import { headerValue } from '../header-value.js';

/**
 * The exception name of an AWS JSON error: the `x-amzn-ErrorType` header (`ThrottlingException:http://internal.amazon.com/…`,
 * the part before the colon), else the body's `__type` (`com.amazon.coral…#ValidationException`).
 */
function exceptionName(headers: UpstreamHeaders, body: Record<string, unknown> | undefined): string | undefined {
  const fromHeader = headerValue(headers, 'x-amzn-errortype');
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader.split(':')[0];
  const fromBody = body?.__type;
  if (typeof fromBody === 'string' && fromBody !== '') return fromBody.split('#').pop();
  return undefined;
}

/** Bedrock's error body is `{"message": "…"}` (some services spell it `Message`). */
function readBody(text: string): { body: Record<string, unknown> | undefined; message: string | undefined } {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) {
      const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : undefined;
      return { body: parsed, message };
    }
  } catch {
    // Not JSON (a proxy's page, an empty body).
  }
  return { body: undefined, message: undefined };
}

/**
 * Reads an upstream HTTP error (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors):
 * the exception name (ThrottlingException, AccessDeniedException, ModelErrorException, …) and the
 * message. The statuses (429, 401/403, 408/424/5xx) mean what they mean for every provider; the
 * upstream-error mapper decides.
 */
export function readBedrockError(text: string, headers: UpstreamHeaders): UpstreamErrorDetails {
  const { body, message } = readBody(text);
  const details: UpstreamErrorDetails = {};
  const name = exceptionName(headers, body);
  if (name !== undefined) details.type = name;
  if (message !== undefined) details.message = message;
  return details;
}

/**
 * An exception frame inside a ConverseStream (sent after the 200 response) → GatewayError. The
 * documented ones: throttlingException (429), modelStreamErrorException (424),
 * internalServerException (500), serviceUnavailableException (503) are worth another try (the
 * router fails over while nothing reached the caller); validationException (400) is not.
 */
export function decodeBedrockStreamException(type: string, payload: string): GatewayError {
  const message = readBody(payload).message ?? excerpt(payload);
  const description = `Bedrock stream ${type}: ${message ?? 'no message'}`;
  switch (type) {
    case 'throttlingException':
      return new GatewayError('upstream_rate_limited', description, { retryable: true, upstreamStatus: 429 });
    case 'modelStreamErrorException':
      return new GatewayError('upstream_stream_error', description, { retryable: true, upstreamStatus: 424 });
    case 'internalServerException':
      return new GatewayError('upstream_stream_error', description, { retryable: true, upstreamStatus: 500 });
    case 'serviceUnavailableException':
      return new GatewayError('upstream_stream_error', description, { retryable: true, upstreamStatus: 503 });
    case 'validationException':
      return new GatewayError('upstream_stream_error', description, { retryable: false, upstreamStatus: 400 });
    default:
      return new GatewayError('upstream_stream_error', description, { retryable: false });
  }
}

function excerpt(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, 500);
}
