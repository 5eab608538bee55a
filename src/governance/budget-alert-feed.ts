import type { GatewayConfig } from '../config/schema.js';
import type { LimitLevel } from './limit-lines.js';

/** What a budget threshold crossing tells other features (the body governance posts to its own webhook). */
export interface BudgetThresholdEvent {
  readonly type: 'budget.threshold';
  readonly level: LimitLevel;
  /** `key:<id>`, `team:<id>`, `customer:<id>`, `provider:<name>` or `key:<id>/provider:<name>`. */
  readonly scope: string;
  /** Human label, e.g. `virtual key "research"`. */
  readonly entity: string;
  readonly period: string;
  readonly rolling: boolean;
  /** Fraction of the budget crossed (0–1). */
  readonly threshold: number;
  readonly spent_usd: number;
  readonly budget_usd: number;
  /** ISO end of the budget window; null for lifetime budgets. */
  readonly resets_at: string | null;
  readonly fired_at: string;
}

export type BudgetThresholdListener = (event: BudgetThresholdEvent) => void;

const feeds = new WeakMap<GatewayConfig, (listener: BudgetThresholdListener) => void>();

/**
 * Subscribes to the budget threshold alerts of the gateway built from `config`, so the alert
 * channel (webhook, log line, metric) carries them beside anomaly alerts. False when governance
 * is not loaded. The subscription outlives config reloads.
 */
export function subscribeBudgetAlerts(config: GatewayConfig, listener: BudgetThresholdListener): boolean {
  const subscribe = feeds.get(config);
  if (subscribe === undefined) return false;
  subscribe(listener);
  return true;
}

/** Called by the governance module at start-up (and on reload with the new config). */
export function registerBudgetAlertFeed(config: GatewayConfig, subscribe: (listener: BudgetThresholdListener) => void): void {
  feeds.set(config, subscribe);
}
