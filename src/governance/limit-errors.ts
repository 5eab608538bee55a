import { GatewayError } from '../spec/index.js';
import { describePeriod } from './periods.js';
import type { LineInfo } from './limit-lines.js';
import type { CounterState } from './spend-store.js';
import { usdOfNano } from './usd-units.js';

const CONCURRENCY_RETRY_MS = 1_000;

/** The error for a refused line: 402 for budgets (level, period, reset), 429 for limits (Retry-After, x-ratelimit-*). */
export function refusalError(info: LineInfo, state: CounterState, amount: number, now: number): GatewayError {
  const ceiling = info.limit + state.credit;
  if (info.metric === 'usd') {
    // USD lines count nano-USD (usd-units.ts).
    const remaining = Math.max(0, ceiling - state.used - state.reserved);
    const resets = Number.isFinite(info.windowEnd) ? new Date(info.windowEnd).toISOString() : undefined;
    const when = resets === undefined ? 'it is a lifetime budget and does not reset (an admin can top it up)' : `it resets at ${resets}`;
    const message =
      `Budget exceeded: the ${info.label} budget of $${formatUsd(usdOfNano(ceiling))} ${describePeriod(info.period, info.rolling)} has $${formatUsd(usdOfNano(remaining))} left ` +
      `and this request may cost up to $${formatUsd(usdOfNano(amount))}; ${when}.`;
    const headers: Record<string, string> = { 'x-tollgate-budget-level': info.level, 'x-tollgate-budget-period': info.period ?? 'lifetime' };
    if (resets !== undefined) headers['x-tollgate-budget-reset'] = resets;
    return new GatewayError('budget_exceeded', message, { headers, retryable: false, ...(resets === undefined ? {} : { retryAfterMs: info.windowEnd - now }) });
  }
  if (info.metric === 'concurrency') {
    return new GatewayError('concurrency_limit_exceeded', `The ${info.label} already has ${info.limit} request${info.limit === 1 ? '' : 's'} in flight (max_concurrent).`, {
      retryAfterMs: CONCURRENCY_RETRY_MS,
      headers: { 'x-ratelimit-scope': info.level },
    });
  }
  const retryAfterMs = Math.max(1, info.windowEnd - now);
  const unit = info.metric;
  const message = `Rate limit exceeded: the ${info.label} allows ${info.limit} ${unit} ${describePeriod(info.period, false)}; retry after ${Math.ceil(retryAfterMs / 1000)} s.`;
  return new GatewayError('rate_limit_exceeded', message, {
    retryAfterMs,
    headers: {
      'x-ratelimit-scope': info.level,
      [`x-ratelimit-limit-${unit}`]: String(info.limit),
      [`x-ratelimit-remaining-${unit}`]: String(Math.max(0, Math.floor(ceiling - state.used - state.reserved))),
      [`x-ratelimit-reset-${unit}`]: `${Math.ceil(retryAfterMs / 1000)}s`,
    },
  });
}

/** USD for messages: cents for large amounts, up to 6 decimals for small ones. */
export function formatUsd(usd: number): string {
  if (usd >= 1) return usd.toFixed(2);
  return usd.toFixed(6).replace(/0+$/, '').replace(/\.$/, '.00');
}
