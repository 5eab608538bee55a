import type { CostCalculator } from '../pipeline/cost.js';
import type { PlanResolver } from '../pipeline/plan-resolver.js';

/**
 * The `provider/model` targets callers can reach that have no price: their requests are served,
 * their cost is recorded as unknown, and budgets charge `governance.unpriced_request_usd` for them.
 * Read once at start-up and after a reload, so operators learn it before the bills do.
 */
export function unpricedModels(resolver: PlanResolver, costs: CostCalculator | undefined): string[] {
  if (costs === undefined) return [];
  const unpriced = new Set<string>();
  const checked = new Set<string>();
  for (const name of resolver.models()) {
    let targets;
    try {
      targets = resolver.resolve(name).groups.flatMap((group) => group.targets);
    } catch {
      continue;
    }
    for (const target of targets) {
      if (checked.has(target.ref)) continue;
      checked.add(target.ref);
      if (costs.maxCost(target, 1, 1) === undefined) unpriced.add(target.ref);
    }
  }
  return [...unpriced].sort();
}
