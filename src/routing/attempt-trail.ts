import type { Attempt } from '../pipeline/context.js';
import { GatewayError } from '../spec/index.js';
import { failureKind } from './failure-kind.js';

/**
 * When every attempt failed, the error the caller should see, by how much it helps them act:
 * 1. a refusal of the gateway's own (budget, rate limit, unsupported operation): the caller must change something;
 * 2. an upstream 429: "try later", with the shortest `Retry-After` seen;
 * 3. an upstream 5xx or other answer: the provider is up but failing;
 * 4. a timeout; 5. a broken stream or unreadable answer; 6. an unreachable provider;
 * 7. a refused provider key (the operator's problem, not the caller's); last, internal errors.
 * Ties go to the latest attempt. The message gains the attempt trail when there was more than one.
 */
export function mostRelevantError(failures: readonly GatewayError[], attempts: readonly Attempt[]): GatewayError | undefined {
  let best: GatewayError | undefined;
  let bestRank = Infinity;
  let shortestRetryAfter: number | undefined;
  for (const failure of failures) {
    const rank = rankOf(failure);
    if (rank <= bestRank) {
      best = failure;
      bestRank = rank;
    }
    if (failure.code === 'upstream_rate_limited' && failure.retryAfterMs !== undefined) shortestRetryAfter = Math.min(shortestRetryAfter ?? Infinity, failure.retryAfterMs);
  }
  if (best === undefined) return undefined;
  if (attempts.length <= 1 && (best.code !== 'upstream_rate_limited' || shortestRetryAfter === best.retryAfterMs)) return best;
  const message = attempts.length <= 1 ? best.message : `${best.message} (after ${attempts.length} attempts: ${describeTrail(attempts)})`;
  return new GatewayError(best.code, message, {
    status: best.status,
    ...(best.param === undefined ? {} : { param: best.param }),
    retryable: best.retryable,
    ...(best.code === 'upstream_rate_limited' && shortestRetryAfter !== undefined ? { retryAfterMs: shortestRetryAfter } : best.retryAfterMs === undefined ? {} : { retryAfterMs: best.retryAfterMs }),
    ...(best.upstreamStatus === undefined ? {} : { upstreamStatus: best.upstreamStatus }),
    ...(best.headers === undefined ? {} : { headers: best.headers }),
    cause: best,
  });
}

/** `openai/gpt-4o[key openai-0] 429 upstream_rate_limited, anthropic/claude-sonnet-4-5 503 upstream_error` */
export function describeTrail(attempts: readonly Attempt[]): string {
  return attempts
    .map((attempt) => {
      const keyId = attempt.keyId ?? attempt.target.key?.id;
      const key = keyId === undefined ? '' : `[key ${keyId}]`;
      return `${attempt.target.ref}${key} ${attempt.status}${attempt.errorCode === undefined ? '' : ` ${attempt.errorCode}`}`;
    })
    .join(', ');
}

function rankOf(error: GatewayError): number {
  switch (error.code) {
    case 'upstream_rate_limited':
      return 2;
    case 'upstream_error':
      return 3;
    case 'upstream_timeout':
      return 4;
    case 'upstream_stream_error':
    case 'upstream_invalid_response':
      return 5;
    case 'upstream_unreachable':
      return 6;
    case 'upstream_auth_failed':
      return 7;
    case 'internal_error':
      return 8;
    default:
      return failureKind(error) === 'local' ? 1 : 3;
  }
}
