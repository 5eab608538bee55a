import type { EntityRegistry } from './registry.js';
import type { SpendStore } from './spend-store.js';
import { entityUsage, type BudgetUsage } from './usage-report.js';

/**
 * The `GET /v1/usage` budget figures of every key, team and customer that has a budget. One
 * `peek` per budget, issued concurrently (a Redis ledger pipelines them on its connection).
 */
export async function budgetSnapshot(registry: EntityRegistry, spend: SpendStore, now: number): Promise<BudgetUsage[]> {
  const reports: Promise<{ budgets: BudgetUsage[] }>[] = [];
  for (const entry of registry.keys.values()) {
    const key = entry.record;
    if (key.budgets !== undefined && key.budgets.length > 0) reports.push(entityUsage('key', { id: key.id, budgets: key.budgets, created_at: key.created_at }, spend, now));
  }
  for (const team of registry.teams.values()) if (team.budgets.length > 0) reports.push(entityUsage('team', { id: team.id, budgets: team.budgets, created_at: team.created_at }, spend, now));
  for (const customer of registry.customers.values()) if (customer.budgets.length > 0) reports.push(entityUsage('customer', { id: customer.id, budgets: customer.budgets, created_at: customer.created_at }, spend, now));
  return (await Promise.all(reports)).flatMap((report) => report.budgets);
}
