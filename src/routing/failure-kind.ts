import type { GatewayError } from '../spec/index.js';

/**
 * What a failed attempt means for routing:
 * - `caller-fault`: the request itself is wrong (400/404/413/422); any provider would refuse it → stop.
 * - `key-auth`: the provider refused the key (401/402/403) → cool the key down, rotate at once.
 * - `key-rate-limited`: 429 → the key waits out `Retry-After`, another key is tried.
 * - `upstream-retryable`: 5xx, 408, network, timeout, broken stream, unreadable answer → retry, count against health.
 * - `upstream-final`: another upstream answer that retrying will not change → next target.
 * - `local`: refused before reaching the provider (governance limits, unsupported operation) → next target, health untouched.
 */
export type FailureKind = 'caller-fault' | 'key-auth' | 'key-rate-limited' | 'upstream-retryable' | 'upstream-final' | 'local';

const CALLER_FAULT_CODES = new Set(['upstream_error', 'invalid_request', 'unsupported_parameter']);
const CALLER_FAULT_STATUSES = new Set([400, 404, 413, 422]);

export function failureKind(error: GatewayError): FailureKind {
  const upstream = error.upstreamStatus;
  if (error.code === 'upstream_auth_failed' || upstream === 401 || upstream === 402 || upstream === 403) return 'key-auth';
  if (error.code === 'upstream_rate_limited' || upstream === 429) return 'key-rate-limited';
  // The ledger answers for every target alike: trying the next one cannot help.
  if (error.code === 'ledger_unavailable') return 'caller-fault';
  // A guardrail refused the answer: another target's answer to the same prompt is no business of a fallback.
  if (error.code === 'guardrail_blocked') return 'caller-fault';
  if (CALLER_FAULT_CODES.has(error.code) && CALLER_FAULT_STATUSES.has(upstream ?? error.status)) return 'caller-fault';
  if (!error.code.startsWith('upstream_')) return 'local';
  return error.retryable ? 'upstream-retryable' : 'upstream-final';
}
