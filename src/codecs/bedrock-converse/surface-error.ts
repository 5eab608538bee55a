import type { GatewayError } from '../../spec/index.js';

/**
 * Gateway errors as Bedrock Runtime names them to its callers: the exception (sent as the
 * `x-amzn-errortype` header, which the AWS SDKs turn into the typed exception class), the status
 * Bedrock uses for it, and a body of `{"message": …}`
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors).
 */
export interface BedrockException {
  name: string;
  status: number;
}

const BY_CODE: Readonly<Record<string, BedrockException>> = {
  invalid_api_key: { name: 'AccessDeniedException', status: 403 },
  key_expired: { name: 'AccessDeniedException', status: 403 },
  key_inactive: { name: 'AccessDeniedException', status: 403 },
  model_not_allowed: { name: 'AccessDeniedException', status: 403 },
  provider_not_allowed: { name: 'AccessDeniedException', status: 403 },
  admin_unauthorized: { name: 'AccessDeniedException', status: 403 },
  admin_disabled: { name: 'AccessDeniedException', status: 403 },
  model_not_found: { name: 'ResourceNotFoundException', status: 404 },
  route_not_found: { name: 'ResourceNotFoundException', status: 404 },
  not_found: { name: 'ResourceNotFoundException', status: 404 },
  budget_exceeded: { name: 'ServiceQuotaExceededException', status: 400 },
  rate_limit_exceeded: { name: 'ThrottlingException', status: 429 },
  concurrency_limit_exceeded: { name: 'ThrottlingException', status: 429 },
  upstream_rate_limited: { name: 'ThrottlingException', status: 429 },
  upstream_timeout: { name: 'ModelTimeoutException', status: 408 },
  upstream_invalid_response: { name: 'ModelErrorException', status: 424 },
  upstream_stream_error: { name: 'ModelErrorException', status: 424 },
  upstream_auth_failed: { name: 'ServiceUnavailableException', status: 503 },
  upstream_unreachable: { name: 'ServiceUnavailableException', status: 503 },
  no_target_available: { name: 'ServiceUnavailableException', status: 503 },
  ledger_unavailable: { name: 'ServiceUnavailableException', status: 503 },
  shutting_down: { name: 'ServiceUnavailableException', status: 503 },
  internal_error: { name: 'InternalServerException', status: 500 },
};

/** A provider's own error keeps its meaning: its status says whose fault it was. */
function upstreamException(status: number): BedrockException {
  if (status === 429) return { name: 'ThrottlingException', status: 429 };
  if (status === 408 || status === 504) return { name: 'ModelTimeoutException', status: 408 };
  if (status >= 400 && status < 500 && status !== 424) return { name: 'ValidationException', status: 400 };
  if (status === 503 || status === 529) return { name: 'ServiceUnavailableException', status: 503 };
  return { name: 'ModelErrorException', status: 424 };
}

/** Anything not listed: a 4xx is the caller's request (ValidationException 400), a 5xx the service's. */
export function bedrockException(error: GatewayError): BedrockException {
  if (error.code === 'upstream_error') return upstreamException(error.status);
  const known = BY_CODE[error.code];
  if (known !== undefined) return known;
  // 408 (the caller sent too slowly), 413, 415, 405: Bedrock answers every bad request ValidationException.
  if (error.status < 500) return { name: 'ValidationException', status: 400 };
  return { name: 'InternalServerException', status: 500 };
}

/** The body of a Bedrock error answer. */
export function encodeBedrockError(error: GatewayError): { message: string } {
  return { message: error.message };
}

/**
 * The member of ConverseStream's output union an error inside an open stream is sent as (an
 * exception frame's `:exception-type`): the five the stream declares, the model's failures as
 * `modelStreamErrorException`.
 */
export function streamExceptionType(error: GatewayError): string {
  switch (bedrockException(error).name) {
    case 'ThrottlingException':
      return 'throttlingException';
    case 'ValidationException':
    case 'AccessDeniedException':
    case 'ResourceNotFoundException':
    case 'ServiceQuotaExceededException':
      return 'validationException';
    case 'ServiceUnavailableException':
      return 'serviceUnavailableException';
    case 'InternalServerException':
      return 'internalServerException';
    default:
      return 'modelStreamErrorException';
  }
}
