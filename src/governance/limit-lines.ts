import type { BudgetConfig, RateLimitsConfig } from '../config/governance-schema.js';
import type { LimitLine } from './spend-store.js';
import { windowOf } from './periods.js';
import { nanoUsd } from './usd-units.js';

/** The levels a request must pass, from the outermost. Provider levels only exclude their target. */
import type { LimitLevel } from '../pipeline/capabilities.js';

export type { LimitLevel };
export type LimitMetric = 'usd' | 'requests' | 'tokens' | 'concurrency';

/** One level's limits, as the line builder sees them. */
export interface LimitScope {
  readonly level: LimitLevel;
  /** `customer:acme`, `key:k1/provider:openai`, … (the counters' prefix). */
  readonly scope: string;
  /** Shown in errors: `team "research"`. */
  readonly label: string;
  readonly budgets: readonly BudgetConfig[] | undefined;
  readonly rateLimits: RateLimitsConfig | undefined;
  readonly maxConcurrent: number | undefined;
  /** Anchor of rolling windows (creation time). */
  readonly anchor: number;
}

/** What a line means, for error messages, headers, alerts and the usage report. */
export interface LineInfo {
  readonly level: LimitLevel;
  readonly scope: string;
  readonly label: string;
  readonly metric: LimitMetric;
  readonly period: string | undefined;
  readonly rolling: boolean;
  readonly windowEnd: number;
  /** The line's limit in its counter's unit: requests, tokens, or nano-USD for `usd` lines. */
  readonly limit: number;
  readonly budget: BudgetConfig | undefined;
}

export interface LineAmounts {
  /** Nano-USD. */
  readonly usd: number;
  readonly tokens: number;
  /** False on a retry of a request already counted at this level. */
  readonly countRequest: boolean;
}

export function counterName(scope: string, metric: LimitMetric, period: string | undefined, rolling: boolean, windowStart: number): string {
  if (metric === 'concurrency') return `${scope}|concurrency`;
  return `${scope}|${metric}|${period ?? 'lifetime'}${rolling ? 'r' : ''}|${windowStart}`;
}

/** A limit's current window: its counter name and line info, reused until the window ends. */
interface CachedWindow {
  readonly scope: LimitScope;
  readonly start: number;
  readonly counter: string;
  readonly info: LineInfo;
}

/**
 * Keyed by the limit's own config object (a budget, `rate_limits.requests`, `…tokens`, or the scope
 * for `max_concurrent`). Entity records are replaced, never edited, when they change, so a changed
 * limit is a new object; the window is rebuilt when the clock leaves it. Requests then build no
 * counter names and call no calendar arithmetic until a window ends.
 */
const windows = new WeakMap<object, CachedWindow>();

function windowFor(owner: object, scope: LimitScope, metric: LimitMetric, period: string | undefined, rolling: boolean, limit: number, budget: BudgetConfig | undefined, now: number): CachedWindow {
  const cached = windows.get(owner);
  if (cached !== undefined && cached.scope === scope && now >= cached.start && now < cached.info.windowEnd) return cached;
  const window = metric === 'concurrency' ? { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY } : windowOf(period, now, rolling, scope.anchor);
  const fresh: CachedWindow = { scope, start: window.start, counter: counterName(scope.scope, metric, period, rolling, window.start), info: info(scope, metric, period, rolling, window.end, limit, budget) };
  windows.set(owner, fresh);
  return fresh;
}

/**
 * Appends the lines of one level to `lines`/`infos` (parallel arrays). Pass the same `scope` object
 * for the same entity from request to request (build it once per entity record) so that its
 * windows are reused.
 */
export function addScopeLines(scope: LimitScope, amounts: LineAmounts, now: number, lines: LimitLine[], infos: LineInfo[]): void {
  if (scope.maxConcurrent !== undefined) {
    const current = windowFor(scope, scope, 'concurrency', undefined, false, scope.maxConcurrent, undefined, now);
    lines.push({ counter: current.counter, windowEnd: Number.POSITIVE_INFINITY, limit: scope.maxConcurrent, amount: 1, chargeOnExpiry: 0 });
    infos.push(current.info);
  }
  const requests = scope.rateLimits?.requests;
  if (requests !== undefined && amounts.countRequest) {
    const current = windowFor(requests, scope, 'requests', requests.period, false, requests.max, undefined, now);
    // Counted however the request ends (actualAmounts), so a store may count it when it reserves.
    lines.push({ counter: current.counter, windowEnd: current.info.windowEnd, limit: requests.max, amount: 1, chargeOnExpiry: 1, final: true });
    infos.push(current.info);
  }
  const tokens = scope.rateLimits?.tokens;
  if (tokens !== undefined) {
    const current = windowFor(tokens, scope, 'tokens', tokens.period, false, tokens.max, undefined, now);
    lines.push({ counter: current.counter, windowEnd: current.info.windowEnd, limit: tokens.max, amount: amounts.tokens, chargeOnExpiry: amounts.tokens });
    infos.push(current.info);
  }
  if (scope.budgets !== undefined) {
    for (const budget of scope.budgets) {
      const current = windowFor(budget, scope, 'usd', budget.period, budget.rolling, nanoUsd(budget.max_usd), budget, now);
      lines.push({ counter: current.counter, windowEnd: current.info.windowEnd, limit: current.info.limit, amount: amounts.usd, chargeOnExpiry: amounts.usd });
      infos.push(current.info);
    }
  }
}

function info(scope: LimitScope, metric: LimitMetric, period: string | undefined, rolling: boolean, windowEnd: number, limit: number, budget: BudgetConfig | undefined): LineInfo {
  return { level: scope.level, scope: scope.scope, label: scope.label, metric, period, rolling, windowEnd, limit, budget };
}

/** What each line really used once the attempt is over (`usd` in nano-USD). */
export function actualAmounts(lines: readonly LimitLine[], infos: readonly LineInfo[], usd: number, tokens: number, released: boolean): number[] {
  const actual = new Array<number>(lines.length);
  for (let index = 0; index < lines.length; index++) {
    switch (infos[index]!.metric) {
      case 'requests':
        actual[index] = 1;
        break;
      case 'concurrency':
        actual[index] = 0;
        break;
      case 'tokens':
        actual[index] = released ? 0 : tokens;
        break;
      case 'usd':
        actual[index] = released ? 0 : usd;
        break;
    }
  }
  return actual;
}
