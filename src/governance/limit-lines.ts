import type { BudgetConfig, RateLimitsConfig } from './config-schema.js';
import type { LimitLine } from './spend-store.js';
import { windowOf } from './periods.js';

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

/** Appends the lines of one level to `lines`/`infos` (parallel arrays). */
export function addScopeLines(scope: LimitScope, amounts: LineAmounts, now: number, lines: LimitLine[], infos: LineInfo[]): void {
  if (scope.maxConcurrent !== undefined) {
    lines.push({ counter: counterName(scope.scope, 'concurrency', undefined, false, 0), windowEnd: Number.POSITIVE_INFINITY, limit: scope.maxConcurrent, amount: 1, chargeOnExpiry: 0 });
    infos.push(info(scope, 'concurrency', undefined, false, Number.POSITIVE_INFINITY, scope.maxConcurrent, undefined));
  }
  const requests = scope.rateLimits?.requests;
  if (requests !== undefined && amounts.countRequest) {
    const window = windowOf(requests.period, now);
    lines.push({ counter: counterName(scope.scope, 'requests', requests.period, false, window.start), windowEnd: window.end, limit: requests.max, amount: 1, chargeOnExpiry: 1 });
    infos.push(info(scope, 'requests', requests.period, false, window.end, requests.max, undefined));
  }
  const tokens = scope.rateLimits?.tokens;
  if (tokens !== undefined) {
    const window = windowOf(tokens.period, now);
    lines.push({ counter: counterName(scope.scope, 'tokens', tokens.period, false, window.start), windowEnd: window.end, limit: tokens.max, amount: amounts.tokens, chargeOnExpiry: amounts.tokens });
    infos.push(info(scope, 'tokens', tokens.period, false, window.end, tokens.max, undefined));
  }
  if (scope.budgets !== undefined) {
    for (const budget of scope.budgets) {
      const window = windowOf(budget.period, now, budget.rolling, scope.anchor);
      lines.push({ counter: counterName(scope.scope, 'usd', budget.period, budget.rolling, window.start), windowEnd: window.end, limit: budget.max_usd, amount: amounts.usd, chargeOnExpiry: amounts.usd });
      infos.push(info(scope, 'usd', budget.period, budget.rolling, window.end, budget.max_usd, budget));
    }
  }
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
