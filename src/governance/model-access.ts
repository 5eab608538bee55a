import type { PlanResolver } from '../pipeline/plan-resolver.js';
import type { RoutePlan, Target, TargetGroup } from '../pipeline/target.js';
import { GatewayError } from '../spec/index.js';
import type { KeyEntry } from './registry.js';

/**
 * Whether `pattern` (from a key's `models`) allows `target`: `*`, `provider/*`, exact
 * `provider/model`, or a bare model name served by any provider.
 */
export function patternAllowsTarget(pattern: string, target: Target): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return target.provider.name === pattern.slice(0, -2);
  return pattern === target.ref || pattern === target.model;
}

function anyAllows(patterns: readonly string[], target: Target): boolean {
  for (const pattern of patterns) if (patternAllowsTarget(pattern, target)) return true;
  return false;
}

/**
 * Narrows a plan to what a key may use (deny by default). A route or alias name in `models` allows
 * the route's own targets and fallbacks; fallbacks the caller added to the request are checked on
 * their own. Then the key's `providers` filter targets, restrict models per provider and
 * re-weight (weight × the provider's `weight`). Throws `model_not_allowed` / `provider_not_allowed`.
 */
export function authorizePlan(key: KeyEntry, plan: RoutePlan, resolver: PlanResolver): RoutePlan {
  const patterns = key.record.models;
  // The common case of a key allowed everything, with no per-provider settings: nothing to narrow.
  if (key.providers === undefined && patterns.includes('*')) return plan;
  const requestedAllowed = patterns.includes(plan.requested) || (plan.route !== undefined && patterns.includes(plan.route));
  const ownGroups = requestedAllowed ? ownGroupCount(plan, resolver) : 0;
  let modelMatched = false;
  const groups: TargetGroup[] = [];
  plan.groups.forEach((group, index) => {
    const wholeGroup = index < ownGroups || patterns.includes(group.name);
    const targets: Target[] = [];
    for (const target of group.targets) {
      if (!wholeGroup && !anyAllows(patterns, target)) continue;
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
  if (config.models !== undefined && !anyAllows(config.models, target)) return undefined;
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
