import type { BudgetConfig, RateLimitsConfig } from './config-schema.js';
import type { LimitLine } from './spend-store.js';
import { LIFETIME, windowOf } from './periods.js';

/** The levels a request must pass, from the outermost. Provider levels only exclude their target. */
export type LimitLevel = 'customer' | 'team' | 'key' | 'key_provider' | 'provider';
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
  /** Per limit, the window it was last counted in (see `lineIn`); filled by addScopeLines. */
  readonly memo: (WindowMemo | undefined)[];
}

/** A limit's current window with its counter name and info, reused by every request until the window ends. */
interface WindowMemo {
  readonly start: number;
  readonly end: number;
  readonly counter: string;
  readonly info: LineInfo;
}

/** A scope to build lines from; keep it (per entity) so its window memo serves later requests. */
export function limitScope(fields: Omit<LimitScope, 'memo'>): LimitScope {
  return { ...fields, memo: [] };
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
  readonly limit: number;
  readonly budget: BudgetConfig | undefined;
}

export interface LineAmounts {
  readonly usd: number;
  readonly tokens: number;
  /** False on a retry of a request already counted at this level. */
  readonly countRequest: boolean;
}

export function counterName(scope: string, metric: LimitMetric, period: string | undefined, rolling: boolean, windowStart: number): string {
  if (metric === 'concurrency') return `${scope}|concurrency`;
  return `${scope}|${metric}|${period ?? 'lifetime'}${rolling ? 'r' : ''}|${windowStart}`;
}

/** Memo slots of a scope's limits: concurrency, requests, tokens, then one per budget. */
const CONCURRENCY_SLOT = 0;
const REQUESTS_SLOT = 1;
const TOKENS_SLOT = 2;
const FIRST_BUDGET_SLOT = 3;

/** Appends the lines of one level to `lines`/`infos` (parallel arrays). */
export function addScopeLines(scope: LimitScope, amounts: LineAmounts, now: number, lines: LimitLine[], infos: LineInfo[]): void {
  if (scope.maxConcurrent !== undefined) {
    const line = lineIn(scope, CONCURRENCY_SLOT, 'concurrency', undefined, false, scope.maxConcurrent, undefined, now);
    lines.push({ counter: line.counter, windowEnd: Number.POSITIVE_INFINITY, limit: scope.maxConcurrent, amount: 1, chargeOnExpiry: 0 });
    infos.push(line.info);
  }
  const requests = scope.rateLimits?.requests;
  if (requests !== undefined && amounts.countRequest) {
    const line = lineIn(scope, REQUESTS_SLOT, 'requests', requests.period, false, requests.max, undefined, now);
    lines.push({ counter: line.counter, windowEnd: line.end, limit: requests.max, amount: 1, chargeOnExpiry: 1 });
    infos.push(line.info);
  }
  const tokens = scope.rateLimits?.tokens;
  if (tokens !== undefined) {
    const line = lineIn(scope, TOKENS_SLOT, 'tokens', tokens.period, false, tokens.max, undefined, now);
    lines.push({ counter: line.counter, windowEnd: line.end, limit: tokens.max, amount: amounts.tokens, chargeOnExpiry: amounts.tokens });
    infos.push(line.info);
  }
  if (scope.budgets !== undefined) {
    for (let index = 0; index < scope.budgets.length; index++) {
      const budget = scope.budgets[index]!;
      const line = lineIn(scope, FIRST_BUDGET_SLOT + index, 'usd', budget.period, budget.rolling, budget.max_usd, budget, now);
      lines.push({ counter: line.counter, windowEnd: line.end, limit: budget.max_usd, amount: amounts.usd, chargeOnExpiry: amounts.usd });
      infos.push(line.info);
    }
  }
}

/**
 * The window of one of the scope's limits at `now`: the memo while `now` is inside it (the clock may
 * also go back, in tests), else computed and remembered. Saves building and hashing counter names
 * on every request.
 */
function lineIn(scope: LimitScope, slot: number, metric: LimitMetric, period: string | undefined, rolling: boolean, limit: number, budget: BudgetConfig | undefined, now: number): WindowMemo {
  const memo = scope.memo[slot];
  if (memo !== undefined && now >= memo.start && now < memo.end) return memo;
  const window = metric === 'concurrency' ? LIFETIME : windowOf(period, now, rolling, scope.anchor);
  const fresh: WindowMemo = {
    start: window.start,
    end: window.end,
    counter: counterName(scope.scope, metric, period, rolling, window.start),
    info: info(scope, metric, period, rolling, window.end, limit, budget),
  };
  scope.memo[slot] = fresh;
  return fresh;
}

function info(scope: LimitScope, metric: LimitMetric, period: string | undefined, rolling: boolean, windowEnd: number, limit: number, budget: BudgetConfig | undefined): LineInfo {
  return { level: scope.level, scope: scope.scope, label: scope.label, metric, period, rolling, windowEnd, limit, budget };
}

/** What each line really used once the attempt is over. */
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
