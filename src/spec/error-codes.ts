/**
 * Every error code the gateway returns, with its HTTP status and error type. The table is the
 * source of truth for `docs/errors.md`; a test fails when the two disagree.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, type: 'invalid_request_error', summary: 'The request body is not valid JSON.' },
  invalid_request: { status: 400, type: 'invalid_request_error', summary: 'A field is missing, has the wrong type or an invalid value.' },
  unsupported_parameter: { status: 400, type: 'invalid_request_error', summary: 'The target provider cannot honour a parameter of the request.' },
  body_too_large: { status: 413, type: 'invalid_request_error', summary: 'The request body exceeds `server.max_body_bytes`. The unread rest of the body is read and dropped first (when at most 64 MiB, for up to 30 s) so that clients see the answer; the connection is then closed.' },
  request_timeout: { status: 408, type: 'invalid_request_error', summary: 'The caller sent the request too slowly: the headers took longer than `server.header_timeout_ms`, the body fell silent for `server.body_idle_timeout_ms`, or was still arriving at `server.request_timeout_ms`. The connection is then closed.' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error', summary: 'The request body is not `application/json`.' },
  route_not_found: { status: 404, type: 'not_found_error', summary: 'No endpoint at this path.' },
  method_not_allowed: { status: 405, type: 'invalid_request_error', summary: 'The endpoint exists but not for this HTTP method.' },
  model_not_found: { status: 404, type: 'not_found_error', summary: 'The model is neither a route, a `provider/model` of a configured provider, nor a configured model or alias.' },
  operation_not_supported: { status: 400, type: 'invalid_request_error', summary: 'No configured provider serving this model supports the operation (e.g. embeddings).' },
  invalid_api_key: { status: 401, type: 'authentication_error', summary: 'No virtual key was sent, or it is unknown.' },
  key_expired: { status: 403, type: 'permission_error', summary: 'The virtual key is past its `expires_at`.' },
  key_inactive: { status: 403, type: 'permission_error', summary: 'The virtual key has been deactivated.' },
  model_not_allowed: { status: 403, type: 'permission_error', summary: "The virtual key's `models` do not allow this model." },
  provider_not_allowed: { status: 403, type: 'permission_error', summary: "The virtual key's `providers` do not allow any provider serving this model." },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error', summary: 'A request or token rate limit of the key, team, customer or provider config is exhausted. `Retry-After` says when to retry.' },
  concurrency_limit_exceeded: { status: 429, type: 'rate_limit_error', summary: 'The virtual key already has its maximum number of requests in flight.' },
  budget_exceeded: { status: 402, type: 'insufficient_quota', summary: 'A budget of the key, team, customer or provider config cannot cover the request. The message names the level, the period and when it resets.' },
  ledger_unavailable: { status: 503, type: 'api_error', summary: 'The shared spend ledger (Redis) cannot be reached; requests that need a budget or rate-limit reservation are refused until it is back. `Retry-After` says when to retry.' },
  no_target_available: { status: 503, type: 'api_error', summary: 'Every provider that could serve the request is excluded (limits, budgets, open circuits).' },
  upstream_error: { status: 502, type: 'api_error', summary: "The provider answered with an error; the provider's status and message are kept." },
  upstream_rate_limited: { status: 429, type: 'rate_limit_error', summary: 'The provider rate-limited every attempt.' },
  upstream_auth_failed: { status: 502, type: 'api_error', summary: "The provider refused the gateway's provider key (401/403); the operator must fix the key." },
  upstream_unreachable: { status: 502, type: 'api_error', summary: 'The provider could not be reached (connection refused or reset before it answered, DNS).' },
  upstream_timeout: { status: 504, type: 'api_error', summary: 'The provider did not answer within the configured timeout.' },
  upstream_invalid_response: { status: 502, type: 'api_error', summary: 'The provider answered with something that is not its documented wire format, or more than Tollgate buffers (a body, a stream event, the process-wide budget: see Upstream limits).' },
  upstream_stream_error: { status: 502, type: 'api_error', summary: 'The provider reported an error inside a stream, or the stream or the connection broke in the middle of an answer.' },
  client_disconnected: { status: 499, type: 'api_error', summary: 'The caller closed the connection before the answer was complete. Nobody receives this response; it is what the request log, metrics and traces record (499, as nginx counts it).' },
  admin_unauthorized: { status: 401, type: 'authentication_error', summary: 'The admin token is missing or wrong.' },
  admin_disabled: { status: 403, type: 'permission_error', summary: 'The admin API is off because no `admin.token` is configured.' },
  reconcile_unavailable: { status: 409, type: 'invalid_request_error', summary: 'Reconciliation needs the request log (`observability.request_log: true`) to compare the spend ledger with; it is off.' },
  not_found: { status: 404, type: 'not_found_error', summary: 'The admin resource does not exist.' },
  conflict: { status: 409, type: 'invalid_request_error', summary: 'The admin resource already exists or is still referenced.' },
  shutting_down: { status: 503, type: 'api_error', summary: 'The gateway is draining for shutdown and takes no new requests.' },
  internal_error: { status: 500, type: 'api_error', summary: 'A bug in the gateway. The log line with the same request id has the details.' },
} as const satisfies Record<string, { status: number; type: string; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
