import type { BudgetConfig, RateLimitsConfig } from '../config/governance-schema.js';
import type { BudgetUsage, LimitLevel } from '../pipeline/capabilities.js';
import { counterName } from './limit-lines.js';
import { windowOf } from './periods.js';
import type { EntityRegistry, KeyEntry } from './registry.js';
import type { SpendStore } from './spend-store.js';
import { femtoFromSummedUsd, usdNumber } from '../pricing/money.js';
import { femtoOfNano } from './usd-units.js';

export type { BudgetUsage };

export interface RateLimitUsage {
  level: LimitLevel;
  entity: string;
  metric: 'requests' | 'tokens';
  period: string;
  max: number;
  used: number;
  remaining: number;
  resets_at: string;
}

/** A key's `max_concurrent` and the requests it has in flight now (streams count until they end). */
export interface ConcurrencyUsage {
  max: number;
  in_flight: number;
}

export interface UsageReport {
  budgets: BudgetUsage[];
  rate_limits: RateLimitUsage[];
  /** Only in a key's report, and null when the key has no `max_concurrent`. */
  concurrency?: ConcurrencyUsage | null;
}

interface ScopeView {
  level: LimitLevel;
  entity: string;
  scope: string;
  budgets: readonly BudgetConfig[] | undefined;
  rateLimits: RateLimitsConfig | undefined;
  anchor: number;
}

/** Spend and remaining room of every budget and rate limit a key is subject to (its own, its team's, its customer's, its providers'). */
export async function keyUsage(entry: KeyEntry, registry: EntityRegistry, store: SpendStore, now: number): Promise<UsageReport> {
  const key = entry.record;
  const scopes: ScopeView[] = [{ level: 'key', entity: key.id, scope: `key:${key.id}`, budgets: key.budgets, rateLimits: key.rate_limits, anchor: entry.createdAt }];
  const team = key.team === undefined ? undefined : registry.teams.get(key.team);
  if (team !== undefined) scopes.push({ level: 'team', entity: team.id, scope: `team:${team.id}`, budgets: team.budgets, rateLimits: team.rate_limits, anchor: Date.parse(team.created_at) });
  const customer = registry.customerOf(key);
  if (customer !== undefined) scopes.push({ level: 'customer', entity: customer.id, scope: `customer:${customer.id}`, budgets: customer.budgets, rateLimits: customer.rate_limits, anchor: Date.parse(customer.created_at) });
  for (const provider of key.providers ?? []) {
    scopes.push({ level: 'key_provider', entity: `${key.id}/${provider.name}`, scope: `key:${key.id}/provider:${provider.name}`, budgets: provider.budgets, rateLimits: provider.rate_limits, anchor: entry.createdAt });
  }
  const report = await scopesUsage(scopes, store, now);
  report.concurrency = key.max_concurrent === undefined ? null : { max: key.max_concurrent, in_flight: (await store.peek(counterName(`key:${key.id}`, 'concurrency', undefined, false, 0))).reserved };
  return report;
}

/** The same report for one key's, team's or customer's own budgets and limits. */
export async function entityUsage(level: 'key' | 'team' | 'customer' | 'provider', entity: { id: string; budgets: BudgetConfig[]; rate_limits?: RateLimitsConfig | undefined; created_at: string }, store: SpendStore, now: number): Promise<UsageReport> {
  return scopesUsage([{ level, entity: entity.id, scope: `${level}:${entity.id}`, budgets: entity.budgets, rateLimits: entity.rate_limits, anchor: Date.parse(entity.created_at) }], store, now);
}

async function scopesUsage(scopes: readonly ScopeView[], store: SpendStore, now: number): Promise<UsageReport> {
  const report: UsageReport = { budgets: [], rate_limits: [] };
  for (const view of scopes) {
    for (const budget of view.budgets ?? []) {
      const window = windowOf(budget.period, now, budget.rolling, view.anchor);
      const state = await store.peek(counterName(view.scope, 'usd', budget.period, budget.rolling, window.start));
      const [credit, spent, reserved] = [state.credit, state.used, state.reserved].map(femtoOfNano) as [bigint, bigint, bigint];
      const remaining = femtoFromSummedUsd(budget.max_usd) + credit - spent - reserved;
      report.budgets.push({
        level: view.level,
        entity: view.entity,
        period: budget.period ?? 'lifetime',
        rolling: budget.rolling,
        max_usd: budget.max_usd,
        // The ledger counts nano-USD (usd-units.ts); what remains is worked out on exact amounts,
        // so spent + reserved + remaining = max + credit.
        credit_usd: usdNumber(credit),
        spent_usd: usdNumber(spent),
        reserved_usd: usdNumber(reserved),
        remaining_usd: usdNumber(remaining > 0n ? remaining : 0n),
        resets_at: Number.isFinite(window.end) ? new Date(window.end).toISOString() : null,
      });
    }
    for (const metric of ['requests', 'tokens'] as const) {
      const limit = view.rateLimits?.[metric];
      if (limit === undefined) continue;
      const window = windowOf(limit.period, now);
      const state = await store.peek(counterName(view.scope, metric, limit.period, false, window.start));
      const used = state.used + state.reserved;
      report.rate_limits.push({ level: view.level, entity: view.entity, metric, period: limit.period, max: limit.max, used, remaining: Math.max(0, limit.max - used), resets_at: new Date(window.end).toISOString() });
    }
  }
  return report;
}
