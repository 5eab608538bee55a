import type { BudgetThresholdEvent } from '../../pipeline/capabilities.js';

/** A budget threshold crossing, as the alert channel delivers it beside anomaly alerts. */
export interface BudgetAlert {
  /** One per budget window and threshold: receivers dedupe on it. */
  id: string;
  kind: 'budget_threshold';
  scope: 'virtual_key' | 'team' | 'customer' | 'key_provider' | 'provider';
  /** The entity id (`<key>/<provider>` for a key's provider budget). */
  scope_id: string;
  time: string;
  /** Fraction of the budget crossed (0–1). */
  threshold: number;
  spent_usd: number;
  budget_usd: number;
  period: string;
  rolling: boolean;
  /** ISO end of the budget window; null for lifetime budgets. */
  resets_at: string | null;
  message: string;
}

const SCOPES: Record<BudgetThresholdEvent['level'], BudgetAlert['scope']> = { key: 'virtual_key', team: 'team', customer: 'customer', key_provider: 'key_provider', provider: 'provider' };

export function budgetAlertOf(event: BudgetThresholdEvent): BudgetAlert {
  // `key:k/provider:p` → `k/p`; `team:t` → `t`.
  const scopeId = event.scope.replace(/^(key|team|customer|provider):/, '').replace('/provider:', '/');
  const percent = Math.round(event.threshold * 1000) / 10;
  return {
    id: `budget_threshold:${event.scope}:${event.period}${event.rolling ? '_rolling' : ''}:${event.threshold}:${event.resets_at ?? 'lifetime'}`,
    kind: 'budget_threshold',
    scope: SCOPES[event.level],
    scope_id: scopeId,
    time: event.fired_at,
    threshold: event.threshold,
    spent_usd: event.spent_usd,
    budget_usd: event.budget_usd,
    period: event.period,
    rolling: event.rolling,
    resets_at: event.resets_at,
    message: `${event.entity} has used ${percent}% of its ${event.period}${event.rolling ? ' rolling' : ''} budget (${event.spent_usd.toFixed(4)} of ${event.budget_usd} USD).`,
  };
}
