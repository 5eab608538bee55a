import type { ModelPatterns } from '../lib/model-patterns.js';
import type { PlanResolver } from '../pipeline/plan-resolver.js';
import type { RoutePlan, Target, TargetGroup } from '../pipeline/target.js';
import { GatewayError } from '../spec/index.js';
import type { KeyEntry } from './registry.js';

/**
 * Whether a key's compiled `models` allow `target`. An exact entry names `provider/model` or a bare
 * model at any provider. A wildcard entry with a `/` before its `*` (`openai/*`,
 * `openrouter/meta-llama/*`) matches `provider/model` names; one without (`gpt-4o*`) matches the
 * bare model at any provider; `*` matches everything.
 */
export function patternsAllowTarget(patterns: ModelPatterns, target: Target): boolean {
  if (patterns.all || patterns.exact.has(target.ref) || patterns.exact.has(target.model)) return true;
  for (const prefix of patterns.prefixes) if ((prefix.includes('/') ? target.ref : target.model).startsWith(prefix)) return true;
  return false;
}

/**
 * Narrows a plan to what a key may use (deny by default). A route or alias name in `models` (matched
 * exactly: a wildcard never stands for a route, whose targets could be anything) allows
 * the route's own targets and fallbacks; fallbacks the caller added to the request are checked on
 * their own. Then the key's `providers` filter targets, restrict models per provider and
 * re-weight (weight × the provider's `weight`). Throws `model_not_allowed` / `provider_not_allowed`.
 */
export function authorizePlan(key: KeyEntry, plan: RoutePlan, resolver: PlanResolver): RoutePlan {
  const patterns = key.models;
  // The common case of a key allowed everything, with no per-provider settings: nothing to narrow.
  if (key.providers === undefined && patterns.all) return plan;
  const requestedAllowed = patterns.exact.has(plan.requested) || (plan.route !== undefined && patterns.exact.has(plan.route));
  const ownGroups = requestedAllowed ? ownGroupCount(plan, resolver) : 0;
  let modelMatched = false;
  const groups: TargetGroup[] = [];
  plan.groups.forEach((group, index) => {
    const wholeGroup = index < ownGroups || patterns.exact.has(group.name);
    const targets: Target[] = [];
    for (const target of group.targets) {
      if (!wholeGroup && !patternsAllowTarget(patterns, target)) continue;
      modelMatched = true;
      const narrowed = applyProviderConfig(key, target);
      if (narrowed !== undefined) targets.push(narrowed);
    }
    if (targets.length > 0) groups.push(targets.length === group.targets.length && targets.every((target, at) => target === group.targets[at]) ? group : { ...group, targets });
  });
  if (!modelMatched) {
    throw new GatewayError('model_not_allowed', `The virtual key \`${key.record.id}\` may not use the model \`${plan.requested}\`.`, { param: 'model' });
  }
  if (groups.length === 0) {
    throw new GatewayError('provider_not_allowed', `The virtual key \`${key.record.id}\` may not use any provider serving \`${plan.requested}\`.`, { param: 'model' });
  }
  return groups.length === plan.groups.length && groups.every((group, index) => group === plan.groups[index]) ? plan : { ...plan, groups };
}

function applyProviderConfig(key: KeyEntry, target: Target): Target | undefined {
  if (key.providers === undefined) return target;
  const config = key.providers.get(target.provider.name);
  if (config === undefined) return undefined;
  const models = key.providerModels.get(target.provider.name);
  if (models !== undefined && !patternsAllowTarget(models, target)) return undefined;
  if (config.weight === 1) return target;
  return { ...target, weight: target.weight * config.weight };
}

/** How many leading groups of the plan belong to the requested name itself (the rest are the caller's fallbacks). */
function ownGroupCount(plan: RoutePlan, resolver: PlanResolver): number {
  try {
    return resolver.resolve(plan.requested).groups.length;
  } catch {
    return 0;
  }
}
