import { ERROR_CODES, type ErrorCode } from './error-codes.js';

const BRAND = Symbol.for('tollgate.error');

export interface GatewayErrorOptions {
  /** Overrides the code's default HTTP status (e.g. an upstream 503 kept as 503). */
  status?: number;
  /** The request field at fault, for `invalid_request`. */
  param?: string;
  /** Whether trying again (same or other target) may succeed. */
  retryable?: boolean;
  /** Milliseconds the caller (or router) should wait, from `Retry-After` or a limit's reset. */
  retryAfterMs?: number;
  /** The upstream's HTTP status, when the error came from a provider. */
  upstreamStatus?: number;
  /** Extra response headers (e.g. `x-ratelimit-*`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The one error class of the gateway: a stable `code` (documented in docs/errors.md), an HTTP
 * status, and a message safe to show the caller (never containing secrets).
 */
export class GatewayError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly upstreamStatus: number | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    // No stack trace: a GatewayError is an answer, made where the code decided it (a refused key, an
    // upstream's 429), not a fault to debug; the error it wraps keeps its own stack in `cause`.
    // Collecting the frames was the dearest step of a refused request (about 7% of its CPU).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    const spec = ERROR_CODES[code];
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? spec.status;
    this.type = spec.type;
    this.param = options.param;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamStatus = options.upstreamStatus;
    this.headers = options.headers;
  }

  static is(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/**
 * Wraps anything thrown into a GatewayError; unknown errors become `internal_error`. A stack
 * overflow is the caller's: JSON.parse reads any depth, but walking a value nested thousands of
 * levels deep (a tool schema, an extra field) to copy, encode or count it exceeds the call stack.
 */
export function toGatewayError(error: unknown): GatewayError {
  if (GatewayError.is(error)) return error;
  if (error instanceof RangeError && error.message === 'Maximum call stack size exceeded') {
    return new GatewayError('invalid_request', 'The request nests JSON values too deeply to process; keep nesting to a few hundred levels.', { cause: error });
  }
  return new GatewayError('internal_error', 'Internal gateway error.', { cause: error });
}
